package metrics

import (
	"testing"
)

// equivCase is one (pred, gold) pair and whether they are equivalent. Cases marked "qwen" or "mv"
// come from the tests of Qwen2.5-Math's grader.py and Math-Verify's tests/test_all.py.
type equivCase struct {
	pred, gold string
	want       bool
}

var equivCases = []equivCase{
	// plain numbers
	{"5", "5", true},
	{"-5", "-5", true},
	{"5", "-5", false},
	{"5.0", "5", true},
	{"5.00", "5", true},
	{"045", "45", true},
	{"0.5", "1/2", true},
	{".5", "0.5", true},
	{"0.4", ".4", true},
	{"1e3", "1000", true},
	{"1.5e-3", "0.0015", true},
	{"2.5\\times10^{3}", "2500", true},
	{"7,425,000", "7425000", true},
	{"1,000", "1000", true},
	{"1 000", "1000", true},
	{"1,000.99", "1000.99", true},
	{"10,\\!080", "10080", true},
	{"11,\\! 111,\\! 111,\\! 100", "11111111100", true},
	{"32, 349", "32349", false},   // mv
	{"32,\\! 349", "32349", true}, // mv
	{"14{,}916", "14916", true},   // mv
	{"\\$1,000.99", "1000.99", true},
	{"\\$32,\\!348", "32348", true},
	{"\\$18.90", "18.90", true},
	{"18.9", "\\$18.90", true},
	{"3", "4", false},
	{"100", "1000", false},
	{"0.1", "0.10001", true}, // rel tol 1e-4
	{"0.1", "0.1002", false},
	{"33.3", "\\frac{100}{3}", false},
	{"33.333333", "\\frac{100}{3}", true},
	{"0.0833333333333333", "\\frac{1}{12}", true}, // qwen
	{"16386.17", "16386.17", true},
	{"2", "AZYUK2A", false},
	// fractions
	{"\\frac{1}{2}", "0.5", true},
	{"\\dfrac{1}{2}", "\\frac12", true},
	{"\\tfrac{3}{4}", "\\frac34", true},
	{"\\frac 59", "\\frac{5}{9}", true},
	{"\\frac9{19}", "\\frac{9}{19}", true},
	{"\\frac{270}7", "\\frac{270}{7}", true},
	{"10/9", "\\frac{10}{9}", true},
	{"-10/9", "-\\frac{10}{9}", true},
	{"\\frac{-10}{9}", "-\\frac{10}{9}", true},
	{"\\frac{10}{-9}", "-\\frac{10}{9}", true},
	{"\\frac{1}{3}", "\\frac{1}{4}", false},
	{"\\frac{3}{1}", "3", true},
	{"\\frac3{3}", "1", true}, // mv
	{"\\cfrac{1}{3}", "1/3", true},
	{"\\frac{\\frac{1}{2}}{3}", "\\frac{1}{6}", true},
	{"1\\frac{4}{5}", "\\frac{9}{5}", true}, // mixed number
	{"137 \\frac{1}{2}", "137.5", true},     // mixed number
	{"2\\frac{1}{2}", "1", false},
	{"0.3333", "\\frac{1}{3}", true},
	// radicals and pi
	{"\\sqrt{2}", "\\sqrt2", true},
	{"\\sqrt 2+\\sqrt 5", "\\sqrt{2}+\\sqrt{5}", true}, // mv
	{"11\\sqrt2", "11\\sqrt{2}", true},
	{"3\\sqrt{13}", "\\sqrt{117}", true},
	{"2\\sqrt{3}", "\\sqrt{12}", true},
	{"2\\sqrt{3}", "\\sqrt{3}", false},
	{"4\\sqrt{2}", "4", false}, // mv issue 41
	{"1\\sqrt{19}", "1", false},
	{"\\sqrt[3]{8}", "2", true},
	{"\\sqrt[3]{-8}", "-2", true},
	{"\\sqrt[4]{16}", "2", true},
	{"\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", true},
	{"\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}", "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}", true}, // qwen
	{"\\frac{1+\\sqrt{5}}{2}", "2", false},                          // qwen
	{"\\frac{34}{16}+\\frac{\\sqrt{1358}}{16}", "4", false},         // qwen
	{"\\frac{10\\sqrt{10.5}}{27}", "\\frac{5\\sqrt{42}}{27}", true}, // mv issue 12
	{"3\\pi", "3 \\pi", true},
	{"\\pi", "3.14159265", true},
	{"\\pi", "3.14", false},
	{"288 \\pi", "288\\pi", true},
	{"\\frac94\\pi", "\\frac{9}{4}\\pi", true}, // mv
	{"\\frac{9\\pi}{4}", "\\frac{9}{4}\\pi", true},
	{"18+2\\pi", "2\\pi+18", true},
	{"\\frac{20000}{\\pi}", "20000/\\pi", true},
	{"2\\pi", "\\pi", false},
	{"\\sqrt{17}", "4.123105625617661", true}, // mv float precision
	// complex numbers
	{"6-5i", "6 - 5i", true},
	{"-5i+6", "6-5i", true},
	{"6+5i", "6-5i", false},
	{"1+2i", "2i+1", true},
	{"i", "\\sqrt{-1}", true},
	// percent (Qwen include_percentage, only when a percent sign is present)
	{"50\\%", "0.5", true},
	{"10%", "0.1", true},  // qwen
	{"10%", "0.2", false}, // qwen
	{"28", "28\\%", true}, // mv
	{"28 percent", "28\\%", true},
	{"28 pct", "28\\%", true},
	{"28 %", "28\\%", true},
	{"28", "0.28", false},   // mv
	{"28", "28/100", false}, // mv
	{"28/100", "28", false},
	{"20", "20\\%", true},
	{"0.2", "20\\%", true},
	{"200", "2", false},
	// units, degrees, text
	{"90^\\circ", "90", true},
	{"90^{\\circ}", "90^\\circ", true},
	{"90°", "90", true},
	{"90", "45^\\circ", false},
	{"\\frac{270}{7}", "\\frac{270}7\\text{ degrees}", true},
	{"5.4", "5.4 \\text{ cents}", true},
	{"864", "864 \\mbox{ inches}^2", true},
	{"15", "15\\mbox{ cm}^2", true},
	{"125", "$125$ miles", true},
	{"125\\textnormal{ miles}", "125", true},
	{"\\frac{1}{3} \\text{meters}", "1/3", true},
	{"\\frac{1}{3} \\textbf{meters}", "1/3", true},
	{"5 \\text{ cm}.", "5", true},
	{"18 dollars", "18", true},
	{"\\text{Evelyn}", "Evelyn", true},
	{"Evelyn", "\\text{Evelyn}", true},
	{"\\text{Navin}", "\\text{Evelyn}", false},
	{"\\text{east}", "East", true},
	{"\\text{seat}", "\\text{east}", false},
	{"\\text{even}", "\\text{odd}", false},
	{"\\text{ellipse}", "\\text{(D) ellipse}", false},
	{"13", "\\text{13}", true},
	// letter choices
	{"(C)", "\\text{(C)}", true},
	{"C", "\\text{(C)}", true},
	{"\\text{C}", "C", true},
	{"\\text{(C)}", "\\text{C}", true}, // mv
	{"E", "\\text{E}", true},           // mv
	{"(B)", "\\text{(C)}", false},
	{"c", "C", true},
	{"D", "\\text{(E)}", false},
	// delimiters and LaTeX noise
	{"$5$", "5", true},
	{"\\(5\\)", "5", true},
	{"\\[5\\]", "5", true},
	{"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", true},
	{"\\left(\\frac{1}{5},\\frac{1}{6}\\right)", "\\left( \\frac{1}{5}, \\frac{1}{6} \\right)", true},
	{"\\displaystyle\\frac{1}{2}", "0.5", true},
	{"\\!5", "5", true},
	{"5.", "5", true},
	{"\\frac{1}{3}.", "\\frac{1}{3}", true}, // mv trailing punctuation
	{"\\frac{1}{3},", "\\frac{1}{3}", true},
	{"\\sqrt{2}.", "\\sqrt{2}", true},
	{"(1,2).", "(1,2)", true},
	{"42.", "42", true},
	{"\\boxed{\\frac{1}{3}}", "1/3", true},
	// tuples, intervals, sets
	{"(1,2)", "(1,2)", true},
	{"(1, 2)", "(1,2)", true},
	{"(2,1)", "(1,2)", false},
	{"(1,4.5)", "(1,\\frac{9}{2})", true}, // qwen
	{"(6,31,-1)", "(6,31,-1)", true},
	{"(6,31,1)", "(6,31,-1)", false},
	{"(-2,1)", "(1,-2)", false},
	{"(1,2]", "[1,2]", false},
	{"[1,2]", "(1,2]", false},
	{"(1,2]", "(1,2]", true},
	{"[0,1)", "[0,1)", true},                                           // mv
	{"[0,1)", "[0,9)", false},                                          // mv
	{"[0,9)", "(0,9)", false},                                          // mv
	{"(0.6,2.6667]", "\\left(\\frac{3}{5},\\frac{8}{3}\\right]", true}, // qwen (rel tol)
	{"(3,4]", "(3,4]", true},
	{"(3,4)", "(3,4]", false},
	{"(-\\infty, 0]", "(-\\infty,0]", true},
	{"(-\\infty, 0)", "(-\\infty,0]", false},
	{"(2,\\infty)", "(2, \\infty)", true},
	{"(2,\\infty)", "(2, -\\infty)", false},
	{"(-\\infty,\\infty)", "\\mathbb{R}", true},
	{"(0,9) \\cup (9,36)", "(0,9) \\cup (9,36)", true},
	{"(9,36) \\cup (0,9)", "(0,9) \\cup (9,36)", true},
	{"(0,9) \\cup [9,36)", "(0,9) \\cup (9,36)", false},
	{"(-\\infty, 2) \\cup (3, \\infty)", "(-\\infty,2)\\cup(3,\\infty)", true},
	{"[-1, -\\tfrac12) \\cup (-\\tfrac12, 0) \\cup (0, 1) \\cup (1, \\infty)", "[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0) \\cup (0, 1) \\cup (1, \\infty)", true}, // mv
	{"\\{-1\\} \\cup [0,7)", "\\{-1\\} \\cup [0,7)", true},
	{"\\{1,2\\}", "\\{2,1\\}", true},
	{"\\{1,2\\}", "\\{1,3\\}", false},
	{"\\{1,2\\}", "\\{1,2,3\\}", false},
	{"\\left\\{1,2\\right\\}", "\\{2,1\\}", true},
	{"\\{1,3\\}", "(1,3)", true},  // mv: set vs tuple, same order
	{"\\{1,3\\}", "(3,1)", false}, // mv
	{"\\emptyset", "\\varnothing", true},
	{"\\emptyset", "\\{\\}", true},
	{"\\emptyset", "0", false},
	{"1,-2", "-2,1", true},
	{"-2, 1", "1,-2", true},
	{"1, 2", "1,-2", false},
	{"3, 5, 7", "7,5,3", true},
	{"3, 5", "3, 5, 7", false},
	{"1,2,3", "1, 2, 3, \\dots", false}, // mv ellipsis
	{"x \\in [-2,7]", "[-2,7]", true},
	{"[-2,7]", "x \\in [-2,7]", true},
	{"(-6, 10)", "(-6, 10)", true},
	{"1, 2", "(1, 2)", true},
	{"\\{1\\pm\\sqrt{5},-2\\}", "\\{1\\pm\\sqrt{5},-2\\}", true},
	{"-2, 1+\\sqrt{5}, 1-\\sqrt{5}", "\\{1\\pm\\sqrt{5},-2\\}", true},
	{"1 \\pm \\sqrt{19}", "1 \\pm \\sqrt{19}", true},
	{"1+\\sqrt{19}, 1-\\sqrt{19}", "1 \\pm \\sqrt{19}", true},
	{"1-\\sqrt{19}, 1+\\sqrt{19}", "1 \\pm \\sqrt{19}", true},
	{"1+\\sqrt{19}", "1 \\pm \\sqrt{19}", false},
	{"3 \\pm 2 \\sqrt{2}", "3 \\pm 2\\sqrt{2}", true},
	{"\\pm 3", "3, -3", true},
	// matrices
	{"\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", true}, // qwen
	{"\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", false},        // qwen
	{"\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}", "\\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix}", true},
	{"\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]", "\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}", false},
	{"\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}", "\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}", true},
	{"\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "\\begin{pmatrix} -\\frac13 \\\\ \\frac23 \\\\ \\frac53 \\end{pmatrix}", true},
	{"\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}", "\\begin{pmatrix} 0.2 \\\\ -3.6 \\end{pmatrix}", true},
	{"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", false},
	{"(-2,-14,-7)", "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", true},
	{"\\begin{pmatrix}\\frac{1}{2} & \\frac{3}{4} \\\\ \\frac{5}{6} & \\frac{7}{8}\\end{pmatrix}", "\\begin{pmatrix}0.5 & 0.75 \\\\ 0.833333 & 0.875\\end{pmatrix}", true},
	// equations and relations
	{"x = 5", "5", true},
	{"x=5", "x=5", true},
	{"5", "x=5", true},
	{"k = 1", "1", true}, // mv
	{"1", "k=1", true},   // mv
	{"x=11", "x = 5+5+1 = 7 =11", true},
	{"x = 5+5+1 = 7 =11", "x = 11", true},  // mv
	{"z = 3+3 = 2", "z = 1 + 1 = 2", true}, // mv
	{"x=1/3\\approx1.3", "1/3", true},      // mv
	{"x\\approx11", "11", true},            // mv
	{"11a+c", "7 = 11a+c", false},          // mv
	{"0", "a +3z = 0", false},              // mv
	{"1", "2x + z = 1", false},             // mv
	{"0", "a^2 + b = 0", false},            // mv
	{"y = 2x + 3", "y=2x+3", true},
	{"y = 3 + 2x", "y=2x+3", true},
	{"2x - y + 3 = 0", "y=2x+3", true},
	{"y=-\\frac{1}{2}x+\\frac{3}{4}", "2x+4y-3=0", true}, // mv
	{"-34x-45y+20z-100=0", "34x+45y-20z+100=0", true},    // qwen
	{"x^2/16 + y^2/12 = 1/4", "x^2/4 + y^2/3 = 1", true}, // mv
	{"y = 2x + 4", "y=2x+3", false},
	{"x = y", "x = y", true},  // qwen
	{"x = z", "x = y", false}, // qwen
	{"5x - 7y + 11z + 4 = 0", "5x - 7y + 11z + 4 = 0", true},
	{"-5x + 7y - 11z - 4 = 0", "5x - 7y + 11z + 4 = 0", true},
	{"x \\geq 5", "x >= 5", true}, // mv
	{"x \\lt 3", "x < 3", true},
	{"x <= 2", "x \\leq 2", true},
	{"x \\gt 5", "x > 5", true},
	{"x \\neq 3", "x != 3", true},
	{"x < 5", "x > 5", false},
	{"x \\leq 5", "x \\geq 5", false},
	{"5 \\geq x", "x \\leq 5", true},
	{"5 \\leq x", "x \\geq 5", true},
	{"-x > -1", "x < 1", true},
	{"x > -1", "x < 1", false},
	{"-x >= -1", "x <= 1", true},
	{"x=1, y=2", "(1,2)", true},
	{"x=1, y=2", "x=1, y=2", true},
	{"y=2, x=1", "x=1, y=2", true},
	{"x=2, y=1", "(1,2)", false},
	{"x = 3, -3", "3, -3", true}, // "x = 3, -3" lists the solutions
	// algebraic expressions (checked at random points)
	{"2x+1", "1+2x", true},
	{"2x+1", "2x-1", false},
	{"\\frac{x}{7}+\\frac{2}{7}", "\\frac{x+2}{7}", true}, // qwen
	{"\\sec^2(y)", "\\tan^2(y)+1", true},                  // qwen
	{"x+1", "x+2n+1", false},                              // qwen
	{"(+5)(b+2)", "(a+5)(b+2)", false},                    // qwen
	{"(a+5)(b+2)", "(a+5)(b+2)", true},
	{"ab+2a+5b+10", "(a+5)(b+2)", true},
	{"x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)", true},
	{"p - q", "-q + p", true},
	{"p - q", "q - p", false},
	{"2k+2", "2(k+1)", true},
	{"2k", "k", false},
	{"6r^2-4r-24", "2(3r^2-2r-12)", true},
	{"\\cot x", "\\frac{\\cos x}{\\sin x}", true},
	{"\\cot x", "\\tan x", false},
	{"2 \\sin b \\cos a", "2\\cos a\\sin b", true},
	{"\\frac{\\pi r}{h+r}", "\\frac{\\pi r}{r+h}", true},
	{"\\frac{11+9a}{20}", "\\frac{9a+11}{20}", true},
	{"5r^5", "5r^{5}", true},
	{"3R^2", "3R^{2}", true},
	{"x^{2}", "x^2", true},
	{"x^2", "x^3", false},
	{"\\sqrt{x^2}", "x", true},
	{"|x|", "x", true}, // equal at the (positive) sample points: a documented limitation
	{"8n^2 + 4n + 1", "8n^2+4n+1", true},
	{"e^{x}", "\\exp(x)", true}, // a lone e is Euler's number
	{"\\ln(x^2)", "2\\ln x", true},
	{"\\log_2 8", "3", true},
	{"\\binom{5}{2}", "10", true},
	{"5!", "120", true},
	{"\\frac{1}{3x^{2/3}}", "\\frac{1}{3\\sqrt[3]{x}^2}", true}, // qwen
	{"x_1 + x_2", "x_2 + x_1", true},
	{"\\alpha + \\beta", "\\beta+\\alpha", true},
	{"\\theta", "\\alpha", false},
	{"f(2) < f(1) < f(4)", "f(2) < f(1) < f(4)", true},
	{"f(2) < f(4) < f(1)", "f(2) < f(1) < f(4)", false},
	// bases
	{"204_5", "204_5", true},
	{"204_{5}", "204_5", true},
	{"1112122_3", "1112112_3", false}, // mv
	{"54", "204_5", false},
	{"52_8", "52_8", true},
	// word numbers and unit words (Qwen's word2number and unit list)
	{"five", "5", true},
	{"twenty-one", "21", true},
	{"one hundred", "100", true},
	{"two days", "2", true},
	{"six", "5", false},
	{"\\frac{1}{2} inch", "\\frac12", true},
	{"3 square feet", "3", true},
	{"12 cm^2", "12", true},
	{"12 students", "12", true},
	{"12 apples", "13", false},
	{"4 hours", "240", false},
	// choices found inside longer predictions (Qwen's choice_answer_clean)
	{"\\textbf{(C)}\\ 12", "\\text{(C)}", true},
	{"(D) 1,008,016", "D", true},
	{"\\mathrm{(B)}", "\\text{(B)}", true},
	{"(A) 12", "\\text{(C)}", false},
	{"12", "\\text{(C)}", false},
	// relations with an empty left side
	{"\\approx 3.14", "3.14", true},
	{"= 7", "7", true},
	// more numbers
	{"-0", "0", true},
	{"+5", "5", true},
	{"5", "+5", true},
	{"0.0000672", ".0000672", true},
	{"6.72\\times 10^{-5}", ".0000672", true},
	{"6.72e-5", ".0000672", true},
	{"3.21", "3.21", true},
	{"3.2", "3.21", false},
	{"1.25", "\\frac{5}{4}", true},
	{"\\frac{5}{4}", "1.25", true},
	{"1.24", "\\frac{5}{4}", false},
	{"326.5", "\\frac{653}{2}", true},
	{"\\frac{1997}{2}", "998.5", true},
	{"0.15", "\\frac{3}{20}", true},
	{"15\\%", "0.15", true},
	{"\\$36", "36", true},
	{"36", "\\$36", true},
	{"36.00", "\\$36", true},
	{"35.99", "\\$36", false},
	{"1000000", "10^6", true},
	{"2^{10}", "1024", true},
	{"2^10", "1024", true},
	{"2^{10}", "2", false}, // mv
	{"1/3", "1", false},    // mv
	{"(-1)^{2}", "1", true},
	{"-1^2", "-1", true},
	{"\\frac{-1}{-2}", "\\frac{1}{2}", true},
	{"-\\frac{\\pi}{6}", "-\\frac{\\pi}{6}", true},
	{"\\frac{-\\pi}{6}", "-\\frac{\\pi}{6}", true},
	{"\\frac{\\pi}{6}", "-\\frac{\\pi}{6}", false},
	{"\\frac{5\\pi}{6}", "150", false},
	{"\\sqrt{3}/2", "\\frac{\\sqrt{3}}{2}", true},
	{"\\frac{3\\sqrt{3}}{4}", "\\frac{3}{4}\\sqrt{3}", true},
	{"\\frac{\\sqrt{21}}{5}", "\\sqrt{\\frac{21}{25}}", true},
	{"\\sqrt{51}", "\\sqrt{50}", false},
	{"70 \\sqrt{2}", "70\\sqrt2", true},
	{"70 \\sqrt{2}", "99", false},
	{"11 \\sqrt{5} + 11", "11(\\sqrt{5}+1)", true},
	{"16 \\sqrt{3}", "\\sqrt{768}", true},
	{"\\frac{\\pi^2}{8}", "\\frac{1}{8}\\pi^2", true},
	{"\\pi^2/8", "\\frac{\\pi^{2}}{8}", true},
	{"\\frac{243}{625}", "0.3888", true},
	{"\\frac{243}{625}", "0.389", false},
	{"\\frac{448}{15625}", "0.028672", true},
	{"-\\frac{35}{9}", "-3.8889", true},
	{"\\frac{35}{9}", "-3.8889", false},
	{"1+274i", "274i+1", true},
	{"-2 + 7i", "7i - 2", true},
	{"-2 + 7i", "-2 - 7i", false},
	{"\\frac{1}{2}+\\frac{\\sqrt{3}}{2}i", "\\frac{1+i\\sqrt{3}}{2}", true},
	// more structures
	{"(3,4)", "(3, 4)", true},
	{"\\left( \\frac{3}{2}, -13 \\right)", "(1.5,-13)", true},
	{"(1.5,-13)", "(1.5,13)", false},
	{"(15,-29)", "(15, -29)", true},
	{"(-29,15)", "(15, -29)", false},
	{"(1,-16,-4,43)", "(1, -16, -4, 43)", true},
	{"(1,-16,-4)", "(1, -16, -4, 43)", false},
	{"(8,-2)", "(8,-2)", true},
	{"(-\\sqrt{3}, \\sqrt{3})", "(-\\sqrt3,\\sqrt3)", true},
	{"[-\\sqrt{3}, \\sqrt{3}]", "(-\\sqrt3,\\sqrt3)", false},
	{"\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]", "[\\pi^2/8, 5\\pi^2/4]", true},
	{"(5,\\infty)", "(5, \\infty)", true},
	{"[5,\\infty)", "(5, \\infty)", false},
	{"(-\\infty,-3] \\cup [2,\\infty)", "(-\\infty, -3] \\cup [2, \\infty)", true},
	{"[-3,2]", "(-\\infty, -3] \\cup [2, \\infty)", false}, // mv issue 5
	{"(0, 1)", "[0,1)", false},                             // mv issue 4
	{"(0,0)", "(\\tfrac{27}{8},\\tfrac{15}{8})", false},    // mv
	{"(\\frac{27}{8},\\frac{15}{8})", "(\\tfrac{27}{8},\\tfrac{15}{8})", true},
	{"(3.375, 1.875)", "(\\tfrac{27}{8},\\tfrac{15}{8})", true},
	{"\\{-2, 1\\}", "1,-2", true},
	{"\\{2\\}", "2", true},
	{"2", "\\{2\\}", true},
	{"(2)", "2", true},
	{"1, 2, 3", "\\{1,2,3\\}", true},
	{"7, -2, -5", "7, -2, \\text{ and } -5", true},
	{"-5, -2, 7", "7, -2, \\text{ and } -5", true},
	{"12 and 13", "12\\text{ and }13", true},
	{"12, 14", "12\\text{ and }13", false},
	{"\\frac{12}{5525}", "\\frac{12}{5,\\!525}", true},
	{"[-36,104]", "[-36, 104]", true},
	{"-36104", "[-36, 104]", false},
	{"\\begin{pmatrix} -18 \\\\ -49 \\\\ 96 \\end{pmatrix}", "\\begin{pmatrix}-18\\\\-49\\\\96\\end{pmatrix}", true},
	{"\\begin{pmatrix} -18 \\\\ 49 \\\\ 96 \\end{pmatrix}", "\\begin{pmatrix}-18\\\\-49\\\\96\\end{pmatrix}", false},
	{"\\begin{pmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{pmatrix}", "\\begin{pmatrix} \\frac{16}{49} \\\\ \\frac{48}{49} \\\\ \\frac{24}{49} \\end{pmatrix}", true},
	{"\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", true},
	{"\\begin{pmatrix} 0 & -1 \\\\ -1 & 0 \\end{pmatrix}", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", false},
	{"\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{pmatrix} 1 & 0 & 0 \\\\ 0 & 1 & 0 \\end{pmatrix}", false},
	// more expressions
	{"x^3+3x-6", "3x+x^3-6", true},
	{"x^3+3x-6", "x^3+3x+6", false},
	{"-13x+3", "3-13x", true},
	{"15x - 80", "5(3x-16)", true},
	{"x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1", "\\frac{x^9-1}{x-1}", true},
	{"(x+1)^2", "x^2+2x+1", true},
	{"(x+1)^2", "x^2+1", false},
	{"\\frac{1}{x}", "x^{-1}", true},
	{"\\sqrt{x}", "x^{1/2}", true},
	{"\\sqrt{x}", "x^{1/3}", false},
	{"2\\sin x\\cos x", "\\sin 2x", true},
	{"\\sin^2 x + \\cos^2 x", "1", true},
	{"\\tan x", "\\frac{\\sin x}{\\cos x}", true},
	{"\\arcsin(1)", "\\frac{\\pi}{2}", true},
	{"\\sin^{-1}(1)", "\\frac{\\pi}{2}", true},
	{"\\log_{10} 100", "2", true},
	{"\\ln e", "1", true},
	{"\\exp(0)", "1", true},
	{"\\binom{10}{3}", "120", true},
	{"\\dbinom{10}{3}", "\\binom{10}{3}", true},
	{"10!", "3628800", true},
	{"3!\\cdot 2", "12", true},
	{"2 \\cdot 3", "6", true},
	{"2 \\times 3", "6", true},
	{"6 \\div 3", "2", true},
	{"2*3", "6", true},
	{"a b", "ab", true},
	{"ab", "ba", true},
	{"a^2b", "ab^2", false},
	{"|{-3}|", "3", true},
	{"\\left|-3\\right|", "3", true},
	{"m+n", "n+m", true},
	{"2n", "n2", true},
	{"\\frac{a}{b}", "\\frac{b}{a}", false},
	{"y^2 = 4x", "4x = y^2", true},
	{"y = x^2", "y = x^3", false},
	{"x^2 + y^2 = 25", "x^2+y^2-25=0", true},
	{"(x-3)^2 + (y+1)^2 = 4", "x^2-6x+y^2+2y+6=0", true},
	{"x^2 + y^2 = 26", "x^2+y^2=25", false},
	{"-2 \\le x \\le 7", "-2 \\leq x \\leq 7", true},
	{"x \\ge 2", "x > 2", false},
	{"x < 2", "x \\le 2", false},
	// Euler's number, inequalities against intervals (pred interval, gold inequality), assignments
	{"e", "2.718281828", true},
	{"\\ln(e^2)", "2", true},
	{"\\frac{1}{e}", "e^{-1}", true},
	{"x \\in [-2,7]", "-2 \\le x \\le 7", true}, // mv set/relation asymmetry
	{"[-2,7]", "-2 \\le x \\le 7", true},
	{"(-2,7]", "-2 \\le x \\le 7", false},
	{"(1,\\infty)", "x>1", true},
	{"[1,\\infty)", "x>1", false},
	{"(-\\infty, 3]", "x \\le 3", true},
	{"(-\\infty, 3]", "3 \\ge x", true},
	{"(3, \\infty)", "3 < x", true},
	{"-2 \\le x \\le 7", "x \\in [-2,7]", false}, // mv: not in this direction
	{"(a,b)=(2,3)", "(2,3)", true},
	{"(a,b)=(3,2)", "(2,3)", false},
	{"(x, y) = (7, 6)", "(7,6)", true},
	{"9 \\times 2 = 18", "18", true},
	{"9 \\times 2 = 18", "19", false},
	{"18", "9 \\times 2 = 18", false}, // gold-directed: a gold equation needs a variable on the left
	// repeating decimals, lower-case letters are variables not choices
	{"0.\\overline{3}", "\\frac{1}{3}", true},
	{"0.1\\overline{6}", "\\frac{1}{6}", true},
	{".\\overline{142857}", "\\frac{1}{7}", true},
	{"1.\\overline{3}", "\\frac{4}{3}", true},
	{"0.\\overline{3}", "0.3", false},
	{"c+1", "c", false},
	{"(c)", "c", true},
	{"C", "c", true},
	// bare function names, matrices with braced cells, rows with letters
	{"sin(x)", "\\sin x", true},
	{"sqrt(2)", "\\sqrt{2}", true},
	{"2pi", "2\\pi", true},
	{"3 pi", "3\\pi", true},
	{"spin", "\\text{spin}", true},
	{"\\begin{pmatrix}{1}&{2}\\end{pmatrix}", "\\begin{pmatrix}1&2\\end{pmatrix}", true},
	{"\\begin{pmatrix}x\\\\y\\end{pmatrix}", "\\begin{pmatrix}x\\\\y\\end{pmatrix}", true},
	{"\\begin{pmatrix}a\\\\b\\end{pmatrix}", "\\begin{pmatrix}b\\\\a\\end{pmatrix}", false},
	// plain-text mixed numbers (Math-Verify tests/test_mixed_number_extraction.py)
	{"4 4/9", "40/9", true},
	{"-4 4/9", "-\\frac{40}{9}", true},
	{"+11 5/6", "71/6", true},
	{"4 4/9", "4", false},
	{"0 4/9", "4/9", true},
	{"1 000 4/9", "9004/9", true},
	{"4 4/0", "4", false},
	{"11 + 4/9", "11 - 4/9", false},
	{"11 + 4/9", "103/9", true},
	{"11.0 4/9", "103/9", false},
	{"4 4/9\\%", "40/900", true},
	{"4 4/9\\%", "40/9", true}, // our percent rule is symmetric (gold*100)
	{"\\textbf{(C) } 2", "2.0", true},
	{"(C) 2", "3", false},
	{"5^{\\text{th}}", "5", true},
	{"5\\text{th}", "5", true},
	{"12 integers", "12", true},
	{"9 diagonals", "9", true},
	// decimal commas against a scalar gold (Math-Verify number tests)
	{"1,22", "1.22", true},
	{"0,111", "0.111", true},
	{"1000,99", "1000.99", true},
	{"1,22", "1,22", true},
	{"1,22", "122", false},
	{"1,22", "1, 22", true},
	{"1,5", "1.6", false},
	{"1,000", "1", false},
	{"1,000", "1.0", false},
	{"12,500", "12.5", false},
	{"\\text{A,C,F}", "C", false},
	{"A, C", "\\text{(C)}", false},
	// empty and garbage
	{"", "5", false},
	{"5", "", false},
	{"}{", "5", false},
	{"\\frac{1}{0}", "5", false},
	{"((((((", "5", false},
}

func TestEquivalentTable(t *testing.T) {
	for _, c := range equivCases {
		if got := Equivalent(c.pred, c.gold); got != c.want {
			t.Errorf("Equivalent(%q, %q) = %v, want %v", c.pred, c.gold, got, c.want)
		}
	}
}
