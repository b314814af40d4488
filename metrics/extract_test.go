package metrics

import "testing"

type extractCase struct {
	bench, response string
	answer, rule    string
}

var extractCases = []extractCase{
	// boxed
	{"math", `so the answer is \boxed{5}.`, "5", RuleBoxed},
	{"math", `\boxed{\frac{1}{2}}`, `\frac{1}{2}`, RuleBoxed},
	{"math", `$\boxed{\left( 3, \frac{\pi}{2} \right)}$`, `\left( 3, \frac{\pi}{2} \right)`, RuleBoxed},
	{"math", `\fbox{3}`, "3", RuleBoxed},
	{"math", `\boxed {7}`, "7", RuleBoxed},
	{"math", "thus \\boxed 5$ done", "5", RuleBoxed},
	{"math", "thus $\\boxed 5.$", "5", RuleBoxed},
	{"math", `first \boxed{1}, later we find \boxed{2}`, "2", RuleBoxed},
	{"math", `the roots are \boxed{-2} and \boxed{1}.`, "-2, 1", RuleBoxed},
	{"math", `$\boxed{1}\boxed{2}$`, "1, 2", RuleBoxed},
	{"math", `$\boxed{1}$, $\boxed{2}$, $\boxed{3}$`, "1, 2, 3", RuleBoxed},
	{"math", `\boxed{1} ... then \boxed{2`, "1", RuleBoxed},
	{"math", `\boxed{\{1,2\}}`, `\{1,2\}`, RuleBoxed},
	{"math", `\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}`, `\begin{pmatrix} 1 \\ 2 \end{pmatrix}`, RuleBoxed},
	{"math", `The answer is 3 but boxed says \boxed{4}`, "4", RuleBoxed},
	{"gsm8k", `She makes \boxed{\$18} a day.`, `\$18`, RuleBoxed},
	{"gsm8k", "#### 17\n\\boxed{18}", "18", RuleBoxed},
	// think blocks
	{"math", `<think>maybe \boxed{1}</think> The answer is \boxed{2}.`, "2", RuleBoxed},
	{"math", `reasoning with \boxed{1}</think>\n\boxed{3}`, "3", RuleBoxed},
	{"math", `<think>long reasoning, I get \boxed{7} and keep going`, "7", RuleBoxed},
	{"math", `<think>I think it is \boxed{7}</think>`, "", RuleNone},
	{"math", `<think>x</think><think>y \boxed{1}</think> final \boxed{9}`, "9", RuleBoxed},
	// answer is
	{"math", "The answer is $\\frac{1}{2}$.", `\frac{1}{2}`, RuleAnswerIs},
	{"math", "Final Answer: The final answer is $28 \\%$. I hope it is correct.", `28 \%`, RuleAnswerIs},
	{"math", "The final answer is $x = 5$", "x = 5", RuleAnswerIs},
	{"math", "the answer is 3.5.", "3.5", RuleAnswerIs},
	{"math", "So the answer is (1, 2).\nNext", "(1, 2)", RuleAnswerIs},
	{"math", "I think the answer is: 12", "12", RuleAnswerIs},
	{"math", "The answer is 5 apples.", "5 apples", RuleAnswerIs},
	{"math", "The answer is \\(\\sqrt{2}\\).", `\sqrt{2}`, RuleAnswerIs},
	{"gsm8k", "Janet makes 9 * 2 = 18 dollars. The answer is 18.", "18", RuleAnswerIs},
	{"gsm8k", "The answer is $1,234.", "1234", RuleAnswerIs},
	{"gsm8k", "The answer is: Janet makes $18 per day.", "18", RuleAnswerIs},
	{"gsm8k", "The answer is -3.", "-3", RuleAnswerIs},
	{"gsm8k", "The answer is 7. Question: next one. The answer is 9.", "9", RuleAnswerIs},
	{"aime", "The final answer is 045.", "045", RuleAnswerIs},
	// hash
	{"gsm8k", "Natalia sold 48/2 = 24 clips in May.\n#### 72", "72", RuleHash},
	{"gsm8k", "#### 1,000", "1000", RuleHash},
	{"gsm8k", "#### $18.50", "18.50", RuleHash},
	{"math", "#### \\frac{1}{2}", `\frac{1}{2}`, RuleHash},
	// answer colon
	{"gsm8k", "Work...\nAnswer: 42", "42", RuleAnswerColon},
	{"gsm8k", "**Answer:** 42", "42", RuleAnswerColon},
	{"math", "Final Answer: The largest $n$ is 34.", "34", RuleAnswerColon},
	{"math", "Answer: $\\frac{3}{4}$", `\frac{3}{4}`, RuleAnswerColon},
	{"math", "Answer:\n\n$(2, 3)$", "(2, 3)", RuleAnswerColon},
	{"amc", "**Final Answer:** 27", "27", RuleAnswerColon},
	// last number
	{"gsm8k", "She makes 9 * 2 = $18 every day at the market.", "18", RuleLastNumber},
	{"gsm8k", "In total 12,000,023 people", "12000023", RuleLastNumber},
	{"gsm8k", "It costs 1,2 or 3", "3", RuleLastNumber},
	{"gsm8k", "the value is -7", "-7", RuleLastNumber},
	{"gsm8k", "her balance is -$5 now", "-5", RuleLastNumber},
	{"gsm8k", "costs $1,234.50 in total", "1234.50", RuleLastNumber},
	{"gsm8k", "so 3/4 of them", "3/4", RuleLastNumber},
	{"gsm8k", "so 3.50 each", "3.50", RuleLastNumber},
	{"math", "P(A) = 2/3", "2/3", RuleLastNumber},
	{"math", "there are 12 sequences.", "12", RuleLastNumber},
	{"math", `so x = \frac{1}{2}.`, `\frac{1}{2}`, RuleLastNumber},
	{"math", `\frac{1}{2}`, `\frac{1}{2}`, RuleLastNumber},
	{"math", `the length is 3\sqrt{2} units`, `3\sqrt{2}`, RuleLastNumber},
	{"math", `so we get (1,\frac{9}{2}).`, `(1,\frac{9}{2})`, RuleLastNumber},
	{"gsm8k", `so x = \frac{1}{2}.`, "2", RuleLastNumber},
	{"aime", "so we get 33", "33", RuleLastNumber},
	// none
	{"gsm8k", "I do not know.", "", RuleNone},
	{"math", "", "", RuleNone},
	{"math", "<think></think>", "", RuleNone},
}

func TestExtractTable(t *testing.T) {
	for _, c := range extractCases {
		a, r := Extract(c.bench, c.response)
		if a != c.answer || r != c.rule {
			t.Errorf("Extract(%q, %q) = (%q, %q), want (%q, %q)", c.bench, c.response, a, r, c.answer, c.rule)
		}
	}
}
