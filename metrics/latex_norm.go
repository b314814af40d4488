package metrics

import (
	"regexp"
	"strconv"
	"strings"
)

// Normalisation of an answer string before comparison, in the spirit of Qwen2.5-Math's
// strip_string and Math-Verify's normalisation: math delimiters, \left/\right, spacing commands,
// \dfrac/\tfrac, degree signs, percent signs (remembered), currency, trailing units in \text{} or
// plain words after a number, "x \in", \emptyset, \mathbb{R}, relation spellings. Set braces \{ \}
// become the runes ⦃ ⦄ so that they are told apart from grouping braces.

var gradeUnicodeReplacer = strings.NewReplacer(
	"−", "-", "–", "-", "—", "-", "×", `\times `, "÷", `\div `, "·", `\cdot `, "⋅", `\cdot `,
	"π", `\pi `, "∞", `\infty `, "√", `\sqrt`, "≤", `\le `, "≥", `\ge `, "≠", `\ne `, "°", "",
	"∅", `\emptyset `, "∪", `\cup `, "\u00a0", " ", "\u2009", " ", "\u202f", " ", "，", ",", "：", ":",
	"\u200b", "", "\ufeff", "",
)

var gradeLatexReplacer = strings.NewReplacer(
	// keep row separators intact before the single-character spacing commands below
	`\\`, `\\`,
	`\left.`, "", `\right.`, "", `\left`, "", `\right`, "",
	`\biggl`, "", `\biggr`, "", `\Biggl`, "", `\Biggr`, "", `\bigl`, "", `\bigr`, "", `\Bigl`, "", `\Bigr`, "",
	`\bigg`, "", `\Bigg`, "", `\big`, "", `\Big`, "", `\middle`, "",
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cfrac`, `\frac`, `\dbinom`, `\binom`, `\tbinom`, `\binom`,
	`\displaystyle`, "", `\textstyle`, "", `\scriptstyle`, "",
	`,\! `, ",", `,\!`, ",", `{,}`, ",", `\!`, "", `\,`, " ", `\;`, " ", `\:`, " ", `\>`, " ", `\ `, " ",
	`\qquad`, " ", `\quad`, " ", "~", " ",
	`^{\text{th}}`, "", `^\text{th}`, "", `^{\mathrm{th}}`, "", `^\mathrm{th}`, "", `^{th}`, "",
	`^{\text{st}}`, "", `^{\text{nd}}`, "", `^{\text{rd}}`, "",
	`^{\circ}`, "", `^\circ`, "", `^{\degree}`, "", `\degree`, "", `\circ`, "",
	`\%`, "", "%", "", `\$`, "", "$", "",
	`\(`, "", `\)`, "", `\[`, "", `\]`, "",
	`\{`, "⦃", `\}`, "⦄", `\lbrace`, "⦃", `\rbrace`, "⦄",
	`\leqslant`, `\le `, `\geqslant`, `\ge `, `\leq`, `\le `, `\geq`, `\ge `, `\neq`, `\ne `,
	`\lt`, "<", `\gt`, ">", "<=", `\le `, ">=", `\ge `, "!=", `\ne `, "=<", `\le `, "=>", `\ge `,
	`\varnothing`, "∅", `\emptyset`, "∅",
	`\mathbb{R}`, `(-\infty,\infty)`, `\mathbb R`, `(-\infty,\infty)`, `\R `, `(-\infty,\infty)`,
	`\infin`, `\infty`, `\textbf{`, `\text{`, `\textnormal{`, `\text{`, `\textrm{`, `\text{`,
	`\textit{`, `\text{`, `\textsf{`, `\text{`, `\mbox{`, `\text{`, `\hbox{`, `\text{`,
	`\mathrm{`, `\text{`, `\rm{`, `\text{`,
	`\ldots`, `\dots`, `\cdots`, `\dots`, `\dotsb`, `\dots`, `\dotsc`, `\dots`, "...", `\dots`, "…", `\dots`,
	"\n", " ", "\t", " ", "\r", " ",
)

var (
	// a trailing unit in \text{...}, possibly squared: 15\text{ cm}^2, 5.4 \text{ cents}
	gradeTrailingTextUnit = regexp.MustCompile(`\\text\{[^{}]*\}\s*(\^\s*\{?\s*[23]\s*\}?)?\s*$`)
	gradeTextWrap         = regexp.MustCompile(`\\text\{([^{}]*)\}`)
	// plain words after a number: "125 miles", "28 percent", "5 sq m"
	gradeNumberThenWords  = regexp.MustCompile(`^(-?[0-9][0-9.,]*|-?\.[0-9]+)\s+([a-zA-Z]{2,}[a-zA-Z. ]*?)(\^\s*\{?[23]\}?)?\s*$`)
	gradeRepeatingDecimal = regexp.MustCompile(`(\d*)\.(\d*)\\overline\{?(\d+)\}?`)
	gradeSetMembership    = regexp.MustCompile(`^\s*[a-zA-Z](_\{?\w+\}?)?\s*\\in\s*`)
	gradeAndWord          = regexp.MustCompile(`(\s+|\b)(and|or)\s+`)
	gradeInfinityWord     = regexp.MustCompile(`\b(infinity|inf)\b`)
)

// gradePercentWords are the words that mean "%" after a number.
var gradePercentWords = map[string]bool{"percent": true, "percentage": true, "pct": true, "per cent": true}

// NormalizeAnswer returns the normalised form of an answer that the comparer works on (math
// delimiters, spacing, \left/\right, units, degree and percent signs removed). Two answers with
// the same normalised form are always equivalent; it is a cheap key for grouping answers (maj@k).
func NormalizeAnswer(s string) string {
	n, _ := gradeNormalize(s)
	return n
}

// gradeNormalize returns the normalised answer and whether it carried a percent sign.
func gradeNormalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 4*gradeMaxAnswerLen {
		return s, false
	}
	if strings.Contains(s, `\boxed`) || strings.Contains(s, `\fbox`) {
		if inner, ok := gradeBoxedAnswer(s); ok {
			s = inner
		}
	}
	s = gradeUnicodeReplacer.Replace(s)
	pct := strings.Contains(s, "%")
	s = gradeLatexReplacer.Replace(s)
	s = strings.TrimSpace(s)
	// trailing units in \text{}: keep what precedes when there is something
	for k := 0; k < 3 && strings.Contains(s, `\text{`); k++ {
		loc := gradeTrailingTextUnit.FindStringIndex(s)
		if loc == nil || loc[0] == 0 {
			break
		}
		unit := strings.ToLower(s[loc[0]:loc[1]])
		prefix := strings.TrimSpace(s[:loc[0]])
		if prefix == "" || strings.HasSuffix(prefix, "=") || strings.HasSuffix(prefix, ",") {
			break
		}
		if strings.Contains(unit, "percent") {
			pct = true
		}
		s = prefix
	}
	if strings.Contains(s, `\text{`) {
		s = gradeTextWrap.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, `\overline`) {
		s = gradeRepeatingDecimal.ReplaceAllStringFunc(s, gradeRepeatingToFrac)
	}
	if strings.Contains(s, `\in`) {
		s = gradeSetMembership.ReplaceAllString(s, "")
	}
	s = gradeBareFuncs(s)
	if strings.Contains(s, " ") {
		if m := gradeNumberThenWords.FindStringSubmatch(s); m != nil {
			w := strings.ToLower(strings.TrimSpace(strings.TrimRight(m[2], ". ")))
			if gradePercentWords[w] {
				pct = true
			}
			s = m[1]
		}
	}
	s = gradeStripUnitWords(s)
	if s != "" && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') {
		if n, ok := gradeWordNumber(s); ok {
			s = n
		}
	}
	if strings.Contains(s, "inf") {
		s = gradeInfinityWord.ReplaceAllString(s, `\infty`)
	}
	if strings.Contains(s, "and") || strings.Contains(s, "or") {
		s = gradeAndWord.ReplaceAllString(s, ", ")
	}
	s = strings.Join(strings.Fields(s), " ")
	// sentence punctuation around the answer
	for {
		t := strings.TrimSpace(s)
		switch {
		case strings.HasSuffix(t, ",") || strings.HasSuffix(t, ";"):
			t = t[:len(t)-1]
		case strings.HasSuffix(t, ".") && !strings.HasSuffix(t, ".."):
			t = t[:len(t)-1]
		case strings.HasPrefix(t, ":"):
			t = t[1:]
		case strings.HasPrefix(t, ","):
			t = t[1:]
		}
		t = strings.TrimSpace(t)
		if t == s {
			break
		}
		s = t
	}
	// one pair of grouping braces around everything: {5} -> 5 (but not {1,2}, a set)
	for k := 0; k < 8; k++ {
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' || gradeMatchingClose(s, 0) != len(s)-1 || strings.Contains(s, ",") {
			break
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s, pct
}

// gradeKey is the cheapest comparison form: no spaces, no grouping braces around \text, lower case.
func gradeKey(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// gradeMatchingClose returns the index of the bracket closing the one at i (any of ( [ { ⦃ closed
// by any of ) ] } ⦄, so that half-open intervals match), or -1.
func gradeMatchingClose(s string, i int) int {
	depth := 0
	for j := i; j < len(s); {
		c := s[j]
		w := 1
		switch {
		case c == '\\' && j+1 < len(s):
			w = 2
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case strings.HasPrefix(s[j:], "⦃"):
			depth++
			w = len("⦃")
		case strings.HasPrefix(s[j:], "⦄"):
			depth--
			w = len("⦄")
		}
		if depth == 0 {
			return j
		}
		if depth < 0 {
			return -1
		}
		j += w
	}
	return -1
}

// gradeUnitWords are plain-text units removed after an answer ("\frac{1}{2} inch", "3 square feet").
var gradeUnitWords = map[string]bool{
	"cm": true, "mm": true, "km": true, "m": false, "meter": true, "meters": true, "metre": true, "metres": true,
	"inch": true, "inches": true, "foot": true, "feet": true, "ft": true, "yard": true, "yards": true,
	"mile": true, "miles": true, "mph": true, "kg": true, "g": false, "gram": true, "grams": true, "pound": true,
	"pounds": true, "lb": true, "lbs": true, "ounce": true, "ounces": true, "oz": true, "liter": true, "liters": true,
	"litre": true, "litres": true, "gallon": true, "gallons": true, "second": true, "seconds": true, "sec": true,
	"minute": true, "minutes": true, "min": true, "hour": true, "hours": true, "hr": true, "hrs": true, "day": true,
	"days": true, "week": true, "weeks": true, "month": true, "months": true, "year": true, "years": true,
	"dollar": true, "dollars": true, "cent": true, "cents": true, "degree": true, "degrees": true, "deg": true,
	"unit": true, "units": true, "square": true, "sq": true, "cubic": true, "radians": true, "radian": true,
	"percent": true, "percentage": true, "pct": true, "people": true, "students": true, "points": true,
	"ways": true, "times": false, "per": false, "integers": true, "digits": true, "meals": true, "edges": true,
	"multiples": true, "sides": true, "vertices": true, "diagonals": true, "numbers": true, "outfits": true,
	"handshakes": true, "games": true, "marbles": true, "coins": true, "boxes": true, "rows": true,
}

// gradeStripUnitWords removes up to two trailing unit words (and a ^2 / ^3 after them).
func gradeStripUnitWords(s string) string {
	for range 3 {
		t := strings.TrimSpace(s)
		if i := strings.LastIndexByte(t, '^'); i > 0 && i >= len(t)-4 {
			// "feet^2", "cm^{3}"
			if exp := strings.Trim(t[i+1:], "{} "); exp == "2" || exp == "3" {
				j := strings.LastIndexByte(t[:i], ' ')
				if j > 0 && gradeUnitWords[strings.ToLower(strings.TrimSpace(t[j+1:i]))] {
					t = t[:i]
				}
			}
		}
		j := strings.LastIndexByte(t, ' ')
		if j <= 0 {
			return t
		}
		w := strings.ToLower(strings.TrimRight(t[j+1:], "."))
		if !gradeUnitWords[w] {
			return t
		}
		s = strings.TrimSpace(t[:j])
	}
	return s
}

var gradeSmallNumbers = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}

var gradeTens = map[string]int{
	"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// gradeWordNumber reads a whole answer written as a number word ("five", "twenty-one", "one
// hundred") as Qwen's word2number step does, for 0..999999.
func gradeWordNumber(s string) (string, bool) {
	w := strings.Fields(strings.ToLower(strings.ReplaceAll(s, "-", " ")))
	if len(w) == 0 || len(w) > 8 {
		return "", false
	}
	total, cur, any := 0, 0, false
	for _, x := range w {
		switch {
		case x == "and" && any:
		case gradeSmallNumbers[x] > 0 || x == "zero":
			cur += gradeSmallNumbers[x]
		case gradeTens[x] > 0:
			cur += gradeTens[x]
		case x == "hundred" && any:
			cur *= 100
		case x == "thousand" && any:
			total += cur * 1000
			cur = 0
		default:
			return "", false
		}
		any = true
	}
	return strconv.Itoa(total + cur), true
}

// gradeRepeatingToFrac rewrites a repeating decimal "0.1\overline{6}" as the fraction it denotes.
func gradeRepeatingToFrac(m string) string {
	sub := gradeRepeatingDecimal.FindStringSubmatch(m)
	ip, nonrep, rep := sub[1], sub[2], sub[3]
	if len(ip)+len(nonrep)+len(rep) > 15 {
		return m
	}
	pow := func(n int) int64 {
		r := int64(1)
		for range n {
			r *= 10
		}
		return r
	}
	atoi := func(s string) int64 {
		v, _ := strconv.ParseInt("0"+s, 10, 64)
		return v
	}
	a, b := len(nonrep), len(rep)
	den := pow(a) * (pow(b) - 1)
	num := atoi(ip)*den + atoi(nonrep)*(pow(b)-1) + atoi(rep)
	return "(\\frac{" + strconv.FormatInt(num, 10) + "}{" + strconv.FormatInt(den, 10) + "})"
}

// gradeBareFuncNames are function names that models write without a backslash: sin(x), sqrt(2), pi.
var gradeBareFuncNames = map[string]bool{
	"arcsin": true, "arccos": true, "arctan": true, "sin": true, "cos": true, "tan": true, "cot": true,
	"sec": true, "csc": true, "log": true, "ln": true, "exp": true, "sqrt": true, "pi": true,
}

// gradeBareFuncs puts a backslash before function names written without one (a whole letter run
// not preceded by a backslash).
func gradeBareFuncs(s string) string {
	var sb strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !gradeLetterAt(s, i) {
			i++
			continue
		}
		j := i
		for j < len(s) && gradeLetterAt(s, j) {
			j++
		}
		if (i == 0 || s[i-1] != '\\') && gradeBareFuncNames[s[i:j]] {
			if sb.Len() == 0 {
				sb.Grow(len(s) + 4)
			}
			sb.WriteString(s[last:i])
			sb.WriteByte('\\')
			sb.WriteString(s[i:j])
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	sb.WriteString(s[last:])
	return sb.String()
}
