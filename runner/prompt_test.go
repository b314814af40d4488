package runner

import (
	"reflect"
	"testing"
)

// settingsTok overrides fakeTok's tokenizer_config settings.
type settingsTok struct {
	fakeTok
	set TokenizerSettings
}

func (t settingsTok) Settings() TokenizerSettings { return t.set }

func TestEncodePromptBOSRule(t *testing.T) {
	base := fakeTok{vocab: 48}
	for _, c := range []struct {
		name string
		set  TokenizerSettings
		want []int
	}{
		{"add_bos_token true", TokenizerSettings{BOSToken: "<s>", AddBOSToken: true, AddBOSTokenSet: true}, []int{1, 3, 4}},
		{"add_bos_token false", TokenizerSettings{BOSToken: "<s>", AddBOSTokenSet: true}, []int{3, 4}},
		{"unset: post-processor decides", TokenizerSettings{BOSToken: "<s>"}, []int{1, 3, 4}}, // fakeTok's Encode(…, true) adds BOS
	} {
		got, err := encodePrompt(settingsTok{base, c.set}, "ab", false, "")
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := encodePrompt(settingsTok{base, TokenizerSettings{BOSToken: "<bos>", AddBOSToken: true, AddBOSTokenSet: true}}, "ab", false, ""); err == nil {
		t.Error("an unknown BOS token must be an error")
	}
	if _, err := encodePrompt(base, "ab", false, "sys"); err == nil {
		t.Error("a system prompt without chat must be an error")
	}
}

func TestEncodePromptChat(t *testing.T) {
	got, err := encodePrompt(fakeTok{vocab: 48}, "hi", true, "be")
	// fakeTok's template: "system\nbe\nuser\nhi\nassistant\n", encoded without special tokens.
	want := fakeTok{}.Encode("system\nbe\nuser\nhi\nassistant\n", false)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("chat: %v, %v; want %v", got, err, want)
	}
	if _, err := encodePrompt(settingsTok{fakeTok{vocab: 48}, TokenizerSettings{}}, "hi", true, ""); err == nil {
		t.Error("chat without a template must be an error")
	}
}
