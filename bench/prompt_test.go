package bench

import (
	"slices"
	"testing"
)

// A template's own system turn reaches the model when the model entry gives none: as the chat system
// turn for chat models, in front of the text for plain ones; the model entry's wins. Its stop strings
// join the decoding's.
func TestTemplateSystemAndStops(t *testing.T) {
	boxed := "Please reason step by step, and put your final answer within \\boxed{}."
	for _, c := range []struct {
		name       string
		m          ModelSpec
		template   string
		wantText   string
		wantSystem string
	}{
		{"chat model, template system", ModelSpec{Chat: true}, "qwen25-math-cot", "Q?", boxed},
		{"chat model, own system wins", ModelSpec{Chat: true, System: "Be brief."}, "qwen25-math-cot", "Q?", "Be brief."},
		{"plain model, template system in front", ModelSpec{}, "qwen25-math-cot", boxed + "\n\nQ?", ""},
		{"no template system", ModelSpec{Chat: true}, "deepseek-r1", "Q?", ""},
		{"unknown template", ModelSpec{Chat: true}, "mine", "Q?", ""},
	} {
		text, chat := withSystem("Q?", c.m, DatasetSpec{Template: c.template})
		if text != c.wantText || chat.System != c.wantSystem || chat.Chat != c.m.Chat {
			t.Errorf("%s: text %q system %q", c.name, text, chat.System)
		}
	}
	if got := taskStops(DecodingSpec{Stop: []string{"Q:", "END"}}, DatasetSpec{Template: "gsm8k-fewshot"}); !slices.Equal(got, []string{"Q:", "END", "</s>", "<|im_end|>"}) {
		t.Errorf("stops %q", got)
	}
	if got := taskStops(DecodingSpec{}, DatasetSpec{Template: "deepseek-r1"}); len(got) != 0 {
		t.Errorf("deepseek-r1 stops %q", got)
	}
}
