package metrics

import (
	"context"
	"testing"
)

type gradeCase struct {
	bench, response, gold string
	correct               bool
	rule                  string
}

// gradeCases are whole responses; many are (shortened) regression cases from Math-Verify's
// tests/test_all.py (marked mv) and lm-evaluation-harness GSM8K formats.
var gradeCases = []gradeCase{
	{"math", `Since $x<2$, it follows that $|x-2|=2-x$. If $2-x=p$, then $x=2-p$. Thus $x-p=\boxed{2-2p}$.`, "2-2p", true, RuleBoxed}, // mv
	{"math", `Therefore, the polar coordinates are $\boxed{\left( 3, \frac{\pi}{2} \right)}.$`, `(3, \frac{\pi}{2})`, true, RuleBoxed},
	{"math", `$$\frac{1}{2}\times 3 \times 10 = \boxed{15\mbox{ cm}^2}.$$`, `15\mbox{ cm}^2`, true, RuleBoxed},
	{"math", `Checking, we find that the only integer roots are $\boxed{-2,1}.$`, "-2,1", true, RuleBoxed},
	{"math", `Then, $129^{34}+96^{38} \equiv \boxed{9} \pmod{11}.$`, "9", true, RuleBoxed},
	{"math", `for a quotient of $\boxed{204_5}$. Note that $13_5$ divided by $2_5$ is $4_5$`, "204_5", true, RuleBoxed},
	{"math", `we find $(p,q,r) = \boxed{(6,31,-1)}.$`, "(6,31,-1)", true, RuleBoxed},
	{"math", `By the quadratic formula, $x = \boxed{1 \pm \sqrt{19}}.$`, `1 \pm \sqrt{19}`, true, RuleBoxed},
	{"math", `Hence, $\boxed{f(2) < f(1) < f(4)}.$`, "f(2) < f(1) < f(4)", true, RuleBoxed},
	{"math", `The answer is $\boxed{\frac{\pi r}{h+r}}$.`, `\frac{\pi r}{h+r}`, true, RuleBoxed},
	{"math", `The distance is $\boxed{125\textnormal{ miles}}.$`, "$125$ miles", true, RuleBoxed},
	{"math", `The answer is $\boxed{\sqrt 2+\sqrt 5}$`, `\sqrt{2}+\sqrt{5}`, true, RuleBoxed},
	{"math", `Therefore $\boxed{\frac94\pi}$.`, `\frac{9}{4}\pi`, true, RuleBoxed},
	{"math", `Therefore, $\boxed{\text{Evelyn}}$ is our answer.`, `\text{Evelyn}`, true, RuleBoxed},
	{"math", `Hence, the angle between the lines is $\boxed{90^\circ}.$`, `90^\circ`, true, RuleBoxed},
	{"math", `P(A) = (1/2) / (3/4) P(A) = (1/2) * (4/3) P(A) = 2/3 Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user`, "2/3", true, RuleLastNumber},               // mv issue 1
	{"math", `Therefore, there are 12 distinct arithmetic sequences that meet the three given conditions. I hope it is correct. <|im_start|>user`, "12", true, RuleLastNumber},               // mv issue 2
	{"math", `So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$. <|im_start|>user`, "(7,6)", true, RuleLastNumber},                                                            // mv issue 3
	{"math", `we find that the domain of $q(x)$ is the interval $(0, 1)$. Final Answer: The final answer is $(0, 1)$. I hope it is correct. <|im_start|>user`, "[0,1)", false, RuleAnswerIs}, // mv issue 4
	{"math", `the domain is $\boxed{[-3, 2]}$. Final Answer: The final answer is $[-3, 2]$. I hope it is correct. I apologize... which is $\boxed{(-\infty, -3] \cup [2, \infty)}$. Final Answer: The final answer is $(-\infty, -3] \cup [2, \infty)$. I hope it is correct. <|im_start|>user`, "[-3,2]", false, RuleAnswerIs}, // mv issue 5
	{"math", `Paula's investment is worth $\boxed{\$16,\!386.20}$ at the end of the 5-year period. The answer is $16,\!386.20$.`, "16386.20", true, RuleBoxed},                                                                                                                                                                  // mv issue 6
	{"math", `Therefore, the volume of rectangular prism $ABCDEFGH$ is $5 \times 6 \times 4 = 120$. Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.`, "120", true, RuleAnswerColon},                                                                                                                        // mv issue 7
	{"math", `$85 + (-67) + 12,\!000,\!003 + (-3) = 12,\!000,\!023$. Final Answer: The final answer is 12,000,023. I hope it is correct. <|im_start|>user`, "12000023", true, RuleAnswerIs},                                                                                                                                     // mv issue 8
	{"math", `Final Answer: The smallest possible value of $N$ is $\boxed{14{,}916}$. I hope it is correct.`, "14916", true, RuleBoxed},                                                                                                                                                                                         // mv issue 9
	{"math", `Thus, $(p,q) = \boxed{\left( \frac{1}{5}, \frac{1}{6} \right)}.$`, `\left(\frac{1}{5},\frac{1}{6}\right)`, true, RuleBoxed},
	{"math", `Rounded to the nearest cent, Paula's investment is worth $\boxed{\$16386.17}$ after 5 years.`, "16386.17", true, RuleBoxed},
	{"math", `$\frac{\frac{A }{4 }}{\frac{5A }{4 }}=\frac{1 }{5 }=\boxed{20 \%}. $$ Final Answer: The final answer is $20 \%$. I hope it is correct.`, `x=1/5$, or $\boxed{20}$ percent.`, true, RuleAnswerIs}, // mv issue 14
	{"math", `Final Answer: The largest $n$ is 34.`, "34", true, RuleAnswerColon},
	{"math", `Thus, $(t,u) = \boxed{\left( \frac{4}{3}, -\frac{1}{3} \right)}.$`, `\left( \frac{4}{3}, -\frac{1}{3} \right)`, true, RuleBoxed},
	{"math", `Therefore, the minimum error in the measurement of the position increases by 100%.`, "100%", true, RuleLastNumber},
	{"math", `So, Anna pays approximately $7.78 for her fudge. Final Answer: The final answer is 7.78.`, "7.78", true, RuleAnswerIs},
	{"math", `Then the new error is at least $100\%$ of the original. Final Answer: The final answer is $100$. I hope it is correct.`, "100", true, RuleAnswerIs},
	{"math", `$$-1(x-1)+2(y-1)+1(z-1)=0\Rightarrow\boxed{x-2y+z-1=0}.$$ Final Answer: The final answer is $x-2y+z-1=0$. I hope it is correct.`, "x-2y+z-1=0", true, RuleAnswerIs},
	{"math", `$0.04 \cdot 10,000 \cdot \frac{1}{2} = \boxed{200}$ So ... $0.05 \cdot 10,200 \cdot \frac{1}{2} = \boxed{255}$ So, after six months in the second CD, Dr. Zaius has $10,455. Final Answer: The final answer is $10,455$. I hope it is correct.`, "10455", true, RuleAnswerIs}, // mv: minerva form wins
	{"math", `Thus, the values of \( k \) for which the quadratic has real roots are: \[ \boxed{[-4, 0]} \]`, "[-4,0]", true, RuleBoxed},
	{"math", `The solution to the inequality is \( x \in (-6, 10) \). Final Answer: The final answer is \((-6, 10)\). I hope it is correct.`, `Therefore, $(A, B) = \boxed{(-6, 10)}.$`, true, RuleAnswerIs},
	{"math", `Thus, the product is \(\boxed{1112122_3}\).`, "1112112_3", false, RuleBoxed},
	{"math", `$\boxed{\text{(C)}}.$`, `\(\boxed{\text{C}}\).`, true, RuleBoxed},
	{"math", `is $\boxed{11,\! 111,\! 111,\! 100}$`, `So the answer is: \[ \boxed{11111111100} \]`, true, RuleBoxed},
	{"math", `is $\boxed{32,\! 349}$`, `\[ \boxed{32349} \]`, true, RuleBoxed},
	{"math", `is $\boxed{32, 349}$`, `\[ \boxed{32349} \]`, false, RuleBoxed},
	{"math", `Thus, the answer is $x \in \boxed{(2,12) \cup (12,102)}$`, `\[ \boxed{(2, 12) \cup (12, 102)} \]`, true, RuleBoxed},
	{"math", `$\boxed{1,2}$`, `$\boxed{1}\boxed{2}$`, true, RuleBoxed},
	{"math", "<think> ... **Final Answer**\nThe integers are \\boxed{-2} and \\boxed{1}. </think> Thus, the integers \\( n \\) such that \\( f(n) = n \\) are: \\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]", `the solutions are $n = \boxed{1,-2}.$`, true, RuleBoxed},
	{"math", "Thus, the area of the trapezoid is \\(\\boxed{189}\\) square centimeters.", "189", true, RuleBoxed},
	// think handling
	{"math", `<think>it is \boxed{3}</think>The answer is \boxed{4}.`, "4", true, RuleBoxed},
	{"math", `<think>it is \boxed{3}</think>The answer is \boxed{4}.`, "3", false, RuleBoxed},
	{"math", `<think>long reasoning that never ends, maybe \boxed{3}`, "3", true, RuleBoxed},
	{"math", `<think>it is \boxed{3}</think>`, "3", false, RuleNone},
	// gsm8k
	{"gsm8k", "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72", "72", true, RuleHash},
	{"gsm8k", "She sells 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18 every day.", "18", true, RuleLastNumber},
	{"gsm8k", "She makes $18.00 a day. The answer is 18.", "18", true, RuleAnswerIs},
	{"gsm8k", "The answer is 1,080.", "1080", true, RuleAnswerIs},
	{"gsm8k", "The answer is 17.", "18", false, RuleAnswerIs},
	{"gsm8k", "So the answer is \\boxed{18}.", "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\n#### 18", true, RuleBoxed},
	{"gsm8k", "She pays 5 dollars.", "-5", false, RuleLastNumber},
	{"gsm8k", "I cannot solve this.", "5", false, RuleNone},
	// aime: integers only
	{"aime24", `\boxed{045}`, "45", true, RuleBoxed},
	{"aime", `\boxed{45.0}`, "45", true, RuleBoxed},
	{"aime", `\boxed{44.99999}`, "45", false, RuleBoxed},
	{"aime25", `\boxed{\frac{90}{2}}`, "45", true, RuleBoxed},
	{"aime", `\boxed{x = 45}`, "45", true, RuleBoxed},
	{"aime", `so $m+n = 45$.`, "45", true, RuleLastNumber},
	{"aime", `\boxed{46}`, "045", false, RuleBoxed},
	{"aime", `The final answer is 070.`, "70", true, RuleAnswerIs},
	// amc: float golds
	{"amc23", `\boxed{27}`, "27.0", true, RuleBoxed},
	{"amc", `\boxed{\frac{7}{2}}`, "3.5", true, RuleBoxed},
	{"amc", `\boxed{26}`, "27.0", false, RuleBoxed},
	// aliases
	{"MATH-500", `\boxed{5}`, "5", true, RuleBoxed},
	{"math500", `\boxed{5}`, "5", true, RuleBoxed},
	{"minerva_math", `\boxed{5}`, "5", true, RuleBoxed},
	{"AIME2024", `\boxed{5}`, "5", true, RuleBoxed},
	{"gsm8k_cot", `#### 5`, "5", true, RuleHash},
}

func TestGradeTable(t *testing.T) {
	for _, c := range gradeCases {
		v := Grade(c.bench, c.response, c.gold)
		if v.Correct != c.correct || v.Rule != c.rule {
			t.Errorf("Grade(%q, %q, %q) = %+v, want correct=%v rule=%s", c.bench, c.response, c.gold, v, c.correct, c.rule)
		}
	}
}

func TestGradeVerdictFields(t *testing.T) {
	v := Grade("math", `<think>hmm \boxed{1}</think> so \boxed{\frac12}.`, "0.5")
	if !v.Correct || v.Extracted != `\frac12` || v.Rule != RuleBoxed || !v.ThinkOpened || !v.ThinkClosed || v.Reason != "" {
		t.Errorf("closed think: %+v", v)
	}
	v = Grade("math", `<think>hmm \boxed{1} and more`, "1")
	if !v.Correct || !v.ThinkOpened || v.ThinkClosed {
		t.Errorf("unclosed think: %+v", v)
	}
	v = Grade("math", `reasoning</think> \boxed{1}`, "1")
	if !v.Correct || !v.ThinkOpened || !v.ThinkClosed {
		t.Errorf("template-opened think: %+v", v)
	}
	v = Grade("math", `no think \boxed{1}`, "1")
	if v.ThinkOpened || v.ThinkClosed {
		t.Errorf("no think: %+v", v)
	}
	v = Grade("gsm8k", "nothing here", "5")
	if v.Correct || v.Rule != RuleNone || v.Reason != "no answer found" || v.Extracted != "" {
		t.Errorf("no answer: %+v", v)
	}
	v = Grade("math", `\boxed{5}`, "  ")
	if v.Correct || v.Reason == "" {
		t.Errorf("empty gold: %+v", v)
	}
	v = Grade("unknown-bench", `\boxed{5}`, "5")
	if !v.Correct {
		t.Errorf("unknown benchmark grades with math rules: %+v", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v := GradeContext(ctx, "math", `\boxed{5}`, "5"); v.Correct || v.Reason == "" || v.Extracted != "5" {
		t.Errorf("cancelled: %+v", v)
	}
}

func TestCanonicalBenchmark(t *testing.T) {
	for in, want := range map[string]string{
		"gsm8k": "gsm8k", "GSM8K": "gsm8k", "math": "math", "math500": "math", "MATH-500": "math",
		"aime": "aime", "aime24": "aime", "aime25": "aime", "aime_2024": "aime", "amc": "amc", "amc23": "amc",
	} {
		if got, ok := CanonicalBenchmark(in); got != want || !ok {
			t.Errorf("CanonicalBenchmark(%q) = %q, %v", in, got, ok)
		}
	}
	if got, ok := CanonicalBenchmark("trivia"); ok || got != "math" {
		t.Errorf("unknown: %q %v", got, ok)
	}
}
