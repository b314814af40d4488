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
	// TTFT is the time from the start of this sequence's prefill to its first generated token: the
	// duration of the prefill step(s) that gave its prompt's cache (shared by the k requests of one
	// prompt and by the prompts prefilled in the same batch; each is charged it as its own) and the
	// sampling of its first token. Waiting for a free row is not counted.
	TTFT time.Duration `json:"ttft_ns"`
	// Total is the time from the start of its prefill to its last token, under the load of the rows
	// it ran beside (their decode steps and the prefills of requests admitted meanwhile).
	Total time.Duration `json:"total_ns"`
	// Share is this sequence's part of the call's work.
	Share Share `json:"share"`
}

// Share is one sequence's part of the work of the call that ran it: each decode step's wall time and
// the step itself are split equally among the step's rows, each prefill's wall time and tokens among
// the requests that share its prompt, and the scheduler's own work (copies, sampling) goes with the
// step or prefill that follows it. Summed over the sequences of a task, the shares give the task's
// wall time, decode steps and prefill tokens, however its requests were split across calls (a resumed
// run) or scheduled.
type Share struct {
	Wall          time.Duration `json:"wall_ns"`
	DecodeSteps   float64       `json:"decode_steps"`
	PrefillTokens float64       `json:"prefill_tokens"`
}

// Stats describe one Stream (or Generate) call.
type Stats struct {
	// Slots is the number of rows the scheduler kept busy (the batch size, or fewer requests).
	Slots int
	// Wall is the call's wall time.
	Wall time.Duration
	// DecodeSteps counts decode steps (one token for every live row); StepTimes holds each one's
	// duration (the graph run only).
	DecodeSteps int
	StepTimes   []time.Duration
	// Prefills counts the prompts prefilled (one per distinct prompt) and PrefillTokens their tokens.
	Prefills      int
	PrefillTokens int
	// Generated counts generated tokens and Sequences the requests; Relayouts the copies of the batch
	// cache into a narrower or wider one.
	Generated int
	Sequences int
	Relayouts int
}

// SlotUtilization is (Generated - Sequences) / (DecodeSteps × Slots): the share of the slots' decode
// capacity that produced tokens (each request's first token comes from its prefill, not from a decode
// step; 0 without decode steps).
func (s Stats) SlotUtilization() float64 {
	if s.DecodeSteps == 0 || s.Slots == 0 {
		return 0
	}
	return float64(s.Generated-s.Sequences) / float64(s.DecodeSteps*s.Slots)
}

// PerToken is the mean latency per generated token after the first ((Total-TTFT)/(n-1)); 0 when fewer
// than two tokens were generated.
func (c Completion) PerToken() time.Duration {
	if len(c.IDs) < 2 {
		return 0
	}
	return (c.Total - c.TTFT) / time.Duration(len(c.IDs)-1)
}
