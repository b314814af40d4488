package runner

import "time"

// Finish reasons of a Completion.
const (
	FinishStop   = "stop"   // an EOS id or a stop string ended the sequence
	FinishLength = "length" // max new tokens (or the model's context) ended it
)

// Request is one sequence to generate.
type Request struct {
	// PromptIDs are the prompt's token ids, exactly as they are fed to the model (BOS included when the
	// caller decided to add one).
	PromptIDs []int
	// Seed seeds this sequence's sampler (ignored for greedy decoding), so sampled results do not depend
	// on batch composition.
	Seed uint64
}

// Decoding holds the decoding settings shared by the sequences of one Generate call.
type Decoding struct {
	// Temperature 0 means greedy (argmax) decoding.
	Temperature float64 `json:"temperature"`
	// TopP in (0,1] keeps the smallest set of tokens whose probability reaches TopP (1 = off).
	TopP float64 `json:"top_p"`
	// TopK > 0 keeps the K most likely tokens (0 = off).
	TopK int `json:"top_k"`
	// MaxNewTokens bounds the completion length.
	MaxNewTokens int `json:"max_new_tokens"`
	// StopStrings end a sequence when its decoded completion contains one (the text is cut after it).
	StopStrings []string `json:"stop,omitempty"`
	// EOSIDs end a sequence when generated; empty means the model's own EOS ids (generation_config.json,
	// config.json, tokenizer_config.json).
	EOSIDs []int `json:"eos_token_ids,omitempty"`
}

// Completion is the result for one Request.
type Completion struct {
	PromptIDs []int `json:"prompt_token_ids"`
	// IDs are the generated token ids (the EOS id that stopped the sequence included).
	IDs []int `json:"token_ids"`
	// Text is decode(prompt+completion) minus decode(prompt): exactly what the model added.
	Text string `json:"text"`
	// FinishReason is FinishStop or FinishLength.
	FinishReason string `json:"finish_reason"`
	// TTFT is the time from the start of the Generate call to this sequence's first generated token.
	TTFT time.Duration `json:"ttft_ns"`
	// Total is the time from the start of the Generate call to this sequence's last token.
	Total time.Duration `json:"total_ns"`
}

// PerToken is the mean latency per generated token after the first ((Total-TTFT)/(n-1)); 0 when fewer
// than two tokens were generated.
func (c Completion) PerToken() time.Duration {
	if len(c.IDs) < 2 {
		return 0
	}
	return (c.Total - c.TTFT) / time.Duration(len(c.IDs)-1)
}
