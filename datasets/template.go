package datasets

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Exemplar is one worked example of a few-shot template.
type Exemplar struct {
	Question string `json:"question" yaml:"question"`
	Answer   string `json:"answer" yaml:"answer"`
}

// PromptTemplate turns a Problem into prompt text. It is data: the built-in ones are rows of a table
// (see Templates) and a config may define more with the same fields.
//
// Formats use three placeholders, replaced in one pass (text inserted is never scanned again):
// "{question}" (the problem, or an exemplar's question in ShotFormat), "{answer}" (an exemplar's
// answer, ShotFormat only) and "{fewshot}" (the rendered exemplars, User only).
type PromptTemplate struct {
	// Name is how configs and the CLI refer to the template.
	Name string `json:"name" yaml:"name"`
	// Description says what the template is for.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Source says where the wording comes from.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
	// System is the system message ("" = none; the chat template may then add its own default).
	System string `json:"system,omitempty" yaml:"system,omitempty"`
	// User is the format of the prompt (or of the user turn when Chat is set).
	User string `json:"user" yaml:"user"`
	// Shots are the few-shot exemplars, rendered with ShotFormat and joined with ShotSeparator into
	// "{fewshot}".
	Shots         []Exemplar `json:"shots,omitempty" yaml:"shots,omitempty"`
	ShotFormat    string     `json:"shot_format,omitempty" yaml:"shot_format,omitempty"`
	ShotSeparator string     `json:"shot_separator,omitempty" yaml:"shot_separator,omitempty"`
	// Chat says the text is meant to go through the model's chat template as the user turn (with
	// System as the system turn). When false the rendered text is the whole prompt, sent as plain text.
	// The bench decides in the end (a model without a chat template can only take plain text).
	Chat bool `json:"chat" yaml:"chat"`
	// Stop lists stop strings that belong with the template (few-shot forms stop at the next "Q:").
	Stop []string `json:"stop,omitempty" yaml:"stop,omitempty"`
}

// BoxedInstruction is the instruction of the Qwen2.5-Math and DeepSeek-R1 evaluation prompts.
const BoxedInstruction = `Please reason step by step, and put your final answer within \boxed{}.`

// gsm8kStop are lm-evaluation-harness's stop sequences for its gsm8k chain-of-thought tasks.
var gsm8kStop = []string{"Q:", "</s>", "<|im_end|>"}

// gsm8kShots are the eight chain-of-thought exemplars of Wei et al. (2022), "Chain-of-Thought
// Prompting Elicits Reasoning in Large Language Models", as lm-evaluation-harness's
// gsm8k_cot task (version 3.0) gives them.
var gsm8kShots = []Exemplar{
	{"There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?",
		"There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6."},
	{"If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
		"There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."},
	{"Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
		"Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39."},
	{"Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?",
		"Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8."},
	{"Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
		"Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9."},
	{"There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?",
		"There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29."},
	{"Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?",
		"Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33."},
	{"Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
		"Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8."},
}

// templates is the table of built-in prompt templates.
var templates = []PromptTemplate{
	{
		Name:        "raw",
		Description: "the question alone, as plain text (base models, models without a chat template)",
		User:        "{question}",
	},
	{
		Name:        "qwen25-math-cot",
		Description: "Qwen2.5-Math chain of thought: the boxed instruction as the system turn, the question as the user turn",
		Source:      "QwenLM/Qwen2.5-Math evaluation/utils.py PROMPT_TEMPLATES[\"qwen25-math-cot\"]",
		System:      BoxedInstruction,
		User:        "{question}",
		Chat:        true,
	},
	{
		Name:        "qwen-boxed",
		Description: "Qwen2-Math style: default system turn, the question then the boxed instruction in the user turn",
		Source:      "QwenLM/Qwen2.5-Math evaluation/utils.py PROMPT_TEMPLATES[\"qwen-boxed\"]",
		System:      "You are a helpful assistant.",
		User:        "{question}\n" + BoxedInstruction,
		Chat:        true,
	},
	{
		Name:        "deepseek-r1",
		Description: "DeepSeek-R1 usage recommendation: no system turn, the question then the boxed instruction in the user turn",
		Source:      "deepseek-ai/DeepSeek-R1 README, usage recommendations",
		User:        "{question}\n" + BoxedInstruction,
		Chat:        true,
	},
	{
		Name:        "gsm8k-zeroshot",
		Description: "zero-shot chain of thought (Kojima et al. 2022) in lm-evaluation-harness's Q:/A: form",
		Source:      "EleutherAI/lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k-cot-zeroshot.yaml",
		User:        "Q: {question}\nA: Let's think step by step.",
		Stop:        gsm8kStop,
	},
	{
		Name:          "gsm8k-fewshot",
		Description:   "8-shot chain of thought (Wei et al. 2022) in lm-evaluation-harness's gsm8k_cot form; answers end with \"The answer is N.\"",
		Source:        "EleutherAI/lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k-cot.yaml (version 3.0)",
		User:          "{fewshot}\n\nQ: {question}\nA:",
		Shots:         gsm8kShots,
		ShotFormat:    "Q: {question}\nA: {answer}",
		ShotSeparator: "\n\n",
		Stop:          gsm8kStop,
	},
}

// Templates returns the built-in prompt templates, sorted by name (copies).
func Templates() []PromptTemplate {
	out := make([]PromptTemplate, len(templates))
	for i, t := range templates {
		out[i] = t.clone()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Template returns the built-in template called name.
func Template(name string) (PromptTemplate, error) {
	for _, t := range templates {
		if t.Name == name {
			return t.clone(), nil
		}
	}
	names := make([]string, 0, len(templates))
	for _, t := range Templates() {
		names = append(names, t.Name)
	}
	return PromptTemplate{}, fmt.Errorf("unknown prompt template %q (known: %s)", name, strings.Join(names, ", "))
}

func (t PromptTemplate) clone() PromptTemplate {
	t.Shots = append([]Exemplar(nil), t.Shots...)
	t.Stop = append([]string(nil), t.Stop...)
	return t
}

// Validate checks a template's formats: User must contain "{question}"; "{fewshot}" needs Shots and a
// ShotFormat, and Shots need "{fewshot}".
func (t PromptTemplate) Validate() error {
	if t.Name == "" {
		return errors.New("prompt template: no name")
	}
	if !strings.Contains(t.User, "{question}") {
		return fmt.Errorf("prompt template %q: user format has no {question}", t.Name)
	}
	hasFS := strings.Contains(t.User, "{fewshot}")
	if hasFS != (len(t.Shots) > 0) {
		return fmt.Errorf("prompt template %q: {fewshot} in the user format and shots must come together", t.Name)
	}
	if len(t.Shots) > 0 && !strings.Contains(t.ShotFormat, "{question}") {
		return fmt.Errorf("prompt template %q: shot format has no {question}", t.Name)
	}
	return nil
}

// Render returns the prompt text for p. When Chat is set it is the user turn only (System goes in the
// system turn: pass it to the chat template). When Chat is not set it is the whole plain-text prompt:
// System, if any, then a blank line, then the user part.
func (t PromptTemplate) Render(p Problem) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	fewshot := ""
	if len(t.Shots) > 0 {
		parts := make([]string, len(t.Shots))
		for i, s := range t.Shots {
			parts[i] = fill(t.ShotFormat, map[string]string{"question": s.Question, "answer": s.Answer})
		}
		fewshot = strings.Join(parts, t.ShotSeparator)
	}
	user := fill(t.User, map[string]string{"question": p.Question, "fewshot": fewshot})
	if !t.Chat && t.System != "" {
		return t.System + "\n\n" + user, nil
	}
	return user, nil
}

// fill replaces {key} placeholders of format in one pass; unknown {...} stay as they are.
func fill(format string, vals map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(format, '{')
		if i < 0 {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:i])
		rest := format[i:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			b.WriteString(rest)
			return b.String()
		}
		if v, ok := vals[rest[1:j]]; ok {
			b.WriteString(v)
			format = rest[j+1:]
		} else {
			b.WriteByte('{')
			format = rest[1:]
		}
	}
}
