package datasets

import (
	"strings"
	"testing"
)

func TestTemplates(t *testing.T) {
	p := Problem{ID: "1", Question: "What is {answer} of {question}?", Gold: "2"}
	want := map[string]struct {
		text, system string
		chat         bool
	}{
		"raw":             {"What is {answer} of {question}?", "", false},
		"qwen25-math-cot": {"What is {answer} of {question}?", BoxedInstruction, true},
		"qwen-boxed":      {"What is {answer} of {question}?\n" + BoxedInstruction, "You are a helpful assistant.", true},
		"deepseek-r1":     {"What is {answer} of {question}?\n" + BoxedInstruction, "", true},
		"gsm8k-zeroshot":  {"Q: What is {answer} of {question}?\nA: Let's think step by step.", "", false},
	}
	for _, tpl := range Templates() {
		if err := tpl.Validate(); err != nil {
			t.Errorf("%s: %v", tpl.Name, err)
		}
		got, err := tpl.Render(p)
		if err != nil {
			t.Fatalf("%s: %v", tpl.Name, err)
		}
		if w, ok := want[tpl.Name]; ok {
			if got != w.text || tpl.System != w.system || tpl.Chat != w.chat {
				t.Errorf("%s: got %q (system %q, chat %v), want %q (system %q, chat %v)", tpl.Name, got, tpl.System, tpl.Chat, w.text, w.system, w.chat)
			}
		}
	}
	if BoxedInstruction != "Please reason step by step, and put your final answer within \\boxed{}." {
		t.Errorf("instruction %q", BoxedInstruction)
	}
	if _, err := Template("nope"); err == nil || !strings.Contains(err.Error(), "gsm8k-fewshot") {
		t.Errorf("unknown template: %v", err)
	}
}

func TestGSM8KFewShot(t *testing.T) {
	tpl, err := Template("gsm8k-fewshot")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(Problem{Question: "How many?", Gold: "1"})
	if err != nil {
		t.Fatal(err)
	}
	const head = "Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\nA: There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.\n\nQ: If there are 3 cars"
	const tail = "So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8.\n\nQ: How many?\nA:"
	if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) {
		t.Errorf("rendered:\n%s", got)
	}
	if n := strings.Count(got, "The answer is "); n != 8 {
		t.Errorf("%d exemplars", n)
	}
	if n := strings.Count(got, "\nA: "); n != 8 {
		t.Errorf("%d answers", n)
	}
	if tpl.Chat || len(tpl.Stop) == 0 || tpl.Stop[0] != "Q:" {
		t.Errorf("chat %v stop %q", tpl.Chat, tpl.Stop)
	}
	// Templates are copies: changing one does not change the table.
	tpl.Shots[0].Question = "changed"
	again, _ := Template("gsm8k-fewshot")
	if again.Shots[0].Question == "changed" {
		t.Error("Template returned the table's own slice")
	}
}

func TestCustomTemplate(t *testing.T) {
	tpl := PromptTemplate{Name: "mine", System: "Be brief.", User: "Problem: {question}\nSolve {unknown}."}
	got, err := tpl.Render(Problem{Question: "1+1"})
	if err != nil || got != "Be brief.\n\nProblem: 1+1\nSolve {unknown}." {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []PromptTemplate{
		{Name: "a", User: "no placeholder"},
		{Name: "b", User: "{fewshot}{question}"},
		{Name: "c", User: "{question}", Shots: []Exemplar{{"q", "a"}}, ShotFormat: "{question}"},
		{Name: "d", User: "{fewshot}{question}", Shots: []Exemplar{{"q", "a"}}, ShotFormat: "none"},
		{User: "{question}"},
	} {
		if _, err := bad.Render(Problem{Question: "x"}); err == nil {
			t.Errorf("%+v: rendered", bad)
		}
	}
}
