package runner

import "errors"

// errNoTokenizer is what the default loader returns while runner/tokenizer is not wired in.
var errNoTokenizer = errors.New("no tokenizer implementation is linked into this build (runner/tokenizer not wired in; see tokenizer_adapter.go)")

// Tokenizer is what the runner needs from a tokenizer. runner/tokenizer's *Tokenizer provides it through a
// small adapter (tokenizer_adapter.go); tests use fakes.
type Tokenizer interface {
	// Encode returns the ids of text; addSpecialTokens applies the tokenizer.json post-processor
	// (e.g. a BOS template).
	Encode(text string, addSpecialTokens bool) []int
	// Decode returns the text of ids.
	Decode(ids []int, skipSpecialTokens bool) string
	// TokenToID returns the id of a token string (special tokens included).
	TokenToID(s string) (int, bool)
	// VocabSize is the number of ids the tokenizer knows.
	VocabSize() int
	// Settings returns what tokenizer_config.json says about special tokens and the chat template.
	Settings() TokenizerSettings
	// ApplyChat renders msgs with the tokenizer's chat template; addGenerationPrompt appends the
	// assistant turn's opening.
	ApplyChat(msgs []ChatMessage, addGenerationPrompt bool) (string, error)
}

// TokenizerSettings are the tokenizer_config.json facts the runner uses.
type TokenizerSettings struct {
	BOSToken, EOSToken, PadToken string
	// AddBOSToken is tokenizer_config.json's add_bos_token; AddBOSTokenSet tells whether the file set it.
	AddBOSToken, AddBOSTokenSet bool
	ChatTemplate                string
}

// ChatMessage is one chat turn.
type ChatMessage struct{ Role, Content string }

// TokenizerLoader loads the tokenizer of a model directory (tokenizer.json + tokenizer_config.json).
type TokenizerLoader func(dir string) (Tokenizer, error)
