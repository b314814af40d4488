package tokenizer

import (
	"encoding/json"
	"fmt"
)

// Config is what tokenizer_config.json says (the parts this tool uses).
type Config struct {
	Path           string // the file read ("" when none)
	BOSToken       string
	EOSToken       string
	PadToken       string
	UnkToken       string
	AddBOSToken    bool // add_bos_token
	AddBOSTokenSet bool // add_bos_token was present
	AddEOSToken    bool
	AddEOSTokenSet bool
	// ChatTemplate is the default chat template ("" when none); ChatTemplates holds named ones when the
	// file has a list (the default is the one named "default").
	ChatTemplate   string
	ChatTemplates  map[string]string
	TokenizerClass string
	ModelMaxLength float64
	CleanUpSpaces  bool // clean_up_tokenization_spaces (informational: Decode never applies it)
}

// tokenString reads a token field that is a string or an AddedToken object {"content": ...}.
func tokenString(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}

// ParseConfig parses the contents of a tokenizer_config.json.
func ParseConfig(data []byte) (Config, error) { return parseConfig(data) }

func parseConfig(data []byte) (Config, error) {
	var raw struct {
		BOS            json.RawMessage `json:"bos_token"`
		EOS            json.RawMessage `json:"eos_token"`
		Pad            json.RawMessage `json:"pad_token"`
		Unk            json.RawMessage `json:"unk_token"`
		AddBOS         *bool           `json:"add_bos_token"`
		AddEOS         *bool           `json:"add_eos_token"`
		ChatTemplate   json.RawMessage `json:"chat_template"`
		TokenizerClass string          `json:"tokenizer_class"`
		ModelMaxLength float64         `json:"model_max_length"`
		CleanUp        bool            `json:"clean_up_tokenization_spaces"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Config{}, fmt.Errorf("parse tokenizer_config.json: %w", err)
	}
	c := Config{
		BOSToken: tokenString(raw.BOS), EOSToken: tokenString(raw.EOS),
		PadToken: tokenString(raw.Pad), UnkToken: tokenString(raw.Unk),
		TokenizerClass: raw.TokenizerClass, ModelMaxLength: raw.ModelMaxLength, CleanUpSpaces: raw.CleanUp,
	}
	if raw.AddBOS != nil {
		c.AddBOSToken, c.AddBOSTokenSet = *raw.AddBOS, true
	}
	if raw.AddEOS != nil {
		c.AddEOSToken, c.AddEOSTokenSet = *raw.AddEOS, true
	}
	if !isNull(raw.ChatTemplate) {
		var s string
		if json.Unmarshal(raw.ChatTemplate, &s) == nil {
			c.ChatTemplate = s
		} else {
			var list []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(raw.ChatTemplate, &list); err != nil {
				return Config{}, fmt.Errorf("chat_template: neither a string nor a list of {name, template}: %w", err)
			}
			c.ChatTemplates = map[string]string{}
			for _, e := range list {
				c.ChatTemplates[e.Name] = e.Template
			}
			c.ChatTemplate = c.ChatTemplates["default"]
		}
	}
	return c, nil
}
