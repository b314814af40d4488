package runner

import "github.com/acoer/acoer-bench/runner/tokenizer"

// hfTokenizer adapts runner/tokenizer's *Tokenizer to the runner's Tokenizer interface.
type hfTokenizer struct{ *tokenizer.Tokenizer }

// loadTokenizer is the default TokenizerLoader: the project's Hugging Face tokenizer.
func loadTokenizer(dir string) (Tokenizer, error) {
	t, err := tokenizer.Load(dir)
	if err != nil {
		return nil, err
	}
	return hfTokenizer{t}, nil
}

// HFTokenizer returns the project tokenizer behind Tokenizer() (nil when Options.Tokenizer loaded
// another implementation).
func (m *Model) HFTokenizer() *tokenizer.Tokenizer {
	if h, ok := m.tok.(hfTokenizer); ok {
		return h.Tokenizer
	}
	return nil
}

func (t hfTokenizer) Settings() TokenizerSettings {
	c := t.Config()
	return TokenizerSettings{
		BOSToken: c.BOSToken, EOSToken: c.EOSToken, PadToken: c.PadToken,
		AddBOSToken: c.AddBOSToken, AddBOSTokenSet: c.AddBOSTokenSet,
		ChatTemplate: c.ChatTemplate,
	}
}

func (t hfTokenizer) ApplyChat(msgs []ChatMessage, addGenerationPrompt bool) (string, error) {
	m := make([]tokenizer.Message, len(msgs))
	for i, x := range msgs {
		m[i] = tokenizer.Message{Role: x.Role, Content: x.Content}
	}
	return t.ApplyChatTemplate(m, tokenizer.ChatOptions{AddGenerationPrompt: addGenerationPrompt})
}

// HFTokenizer returns the project tokenizer behind Tokenizer() (nil when Options.Tokenizer loaded
// another implementation).
func (c *Checked) HFTokenizer() *tokenizer.Tokenizer {
	if h, ok := c.p.tok.(hfTokenizer); ok {
		return h.Tokenizer
	}
	return nil
}
