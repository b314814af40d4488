package metrics

import (
	"context"
	"regexp"
	"slices"
	"strings"
)

// Reasoning structure of one completion: where its thinking ends, its steps, the answers it states on
// the way (candidates) and its reflection markers. Everything here works on text and byte offsets; the
// caller maps offsets to token counts with the completion's token ids.

// Think states of a completion (ThinkSplit).
const (
	// ThinkClosed: the completion contains </think> (with or without <think>: a chat template may have
	// opened the block in the prompt).
	ThinkClosed = "closed"
	// ThinkUnclosed: the completion opens <think> and never closes it.
	ThinkUnclosed = "unclosed"
	// ThinkNone: neither tag.
	ThinkNone = "none"
)

const (
	thinkOpenTag  = "<think>"
	thinkCloseTag = "</think>"
)

// ThinkSplit returns the byte offset where a completion's thinking ends and how it uses a think block:
// just after the last </think> (ThinkClosed), len(text) when <think> is never closed (ThinkUnclosed: all
// of it is thinking) and 0 without tags (ThinkNone: all of it is answer). It agrees with the grader,
// which reads the answer after the last </think>.
func ThinkSplit(text string) (end int, state string) {
	if i := strings.LastIndex(text, thinkCloseTag); i >= 0 {
		return i + len(thinkCloseTag), ThinkClosed
	}
	if strings.Contains(text, thinkOpenTag) {
		return len(text), ThinkUnclosed
	}
	return 0, ThinkNone
}

// Step is one reasoning step of a completion: the bytes [Start, End) of a paragraph, without the blank
// lines around it. Think reports that the step lies in the thinking part (see ThinkSplit).
type Step struct {
	Start int  `json:"start"`
	End   int  `json:"end"`
	Think bool `json:"think"`
}

// SplitSteps splits a completion into steps at paragraph breaks (blank lines) and after every
// </think>, so the thinking and the answer never share a step. Steps that hold only white space are
// left out; a completion without any break is one step.
func SplitSteps(text string) []Step {
	thinkEnd, state := ThinkSplit(text)
	var cuts [][2]int // [end of a step, start of the next]
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			break
		}
		start := i + j
		// a paragraph break: this newline, blanks, another newline, then any white space
		k := start + 1
		for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r') {
			k++
		}
		if k < len(text) && text[k] == '\n' {
			for k < len(text) && isSpaceByte(text[k]) {
				k++
			}
			cuts = append(cuts, [2]int{start, k})
			i = k
			continue
		}
		i = start + 1
	}
	// </think> ends a step too.
	for off := 0; ; {
		i := strings.Index(text[off:], thinkCloseTag)
		if i < 0 {
			break
		}
		e := off + i + len(thinkCloseTag)
		cuts = append(cuts, [2]int{e, e})
		off = e
	}
	sortCuts(cuts)
	var out []Step
	start := 0
	add := func(s, e int) {
		for s < e && isSpaceByte(text[s]) {
			s++
		}
		for e > s && isSpaceByte(text[e-1]) {
			e--
		}
		if s < e {
			think := state == ThinkUnclosed || (state == ThinkClosed && e <= thinkEnd)
			out = append(out, Step{Start: s, End: e, Think: think})
		}
	}
	for _, c := range cuts {
		if c[0] < start {
			continue // inside a break already taken
		}
		add(start, c[0])
		start = c[1]
	}
	add(start, len(text))
	return out
}

func sortCuts(c [][2]int) {
	slices.SortFunc(c, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// Candidate rules: how a step states an answer.
const (
	CandidateBoxed    = "boxed"     // the step's last \boxed{} (adjacent boxes joined, as the grader does)
	CandidateAnswerIs = "answer_is" // "the answer is X" in the step
	CandidateEquals   = "equals"    // the step ends with "= X"
)

// Candidate is an answer a completion states along the way: the answer of one step, with whether it
// matches the gold answer (the grader's comparison).
type Candidate struct {
	// Step indexes the steps of SplitSteps; End is the step's end (byte offset).
	Step    int    `json:"step"`
	End     int    `json:"end"`
	Answer  string `json:"answer"`
	Rule    string `json:"rule"`
	Correct bool   `json:"correct"`
}

// candEqualsRE matches the end of a step from its last "=": "= X" with X up to 48 bytes.
var candEqualsRE = regexp.MustCompile(`^=\s*([^=\n]{1,48}?)[\s.,;:!]*(?:\$\$|\$|\\\]|\\\))?[\s.,;:!]*$`)

var (
	// candNumberRE is a numeric "= X": a number, optionally a currency sign before and one unit word after.
	candNumberRE = regexp.MustCompile(`^\\?\$?\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+)\s*(?:[A-Za-z%]+\.?)?$`)
	// candCommandRE matches LaTeX commands, candWordRE a word of prose (3+ letters) left after removing them.
	candCommandRE = regexp.MustCompile(`\\[A-Za-z]+`)
	candWordRE    = regexp.MustCompile(`[A-Za-z]{3,}`)
)

// AnswerCandidates lists the answer each step of text states, in order: its last \boxed{}, else its
// last "the answer is X", else an "= X" that ends the step (X a number, perhaps with a unit word, or
// for math-family benchmarks a short expression with a digit or a LaTeX command and no prose). Each is compared with gold by the grader's
// comparison for benchmark (DefaultGradeTimeout each); steps without an answer give no candidate.
func AnswerCandidates(benchmark, text, gold string) []Candidate {
	return answerCandidates(benchmark, text, gold, SplitSteps(text))
}

func answerCandidates(benchmark, text, gold string, steps []Step) []Candidate {
	bench := gradeCanonicalBenchmark(benchmark)
	g := gradeGold(bench, gold)
	numeric := bench != BenchMATH
	var out []Candidate
	for i, st := range steps {
		s := text[st.Start:st.End]
		ans, rule := stepAnswer(s, numeric)
		if ans == "" {
			continue
		}
		out = append(out, Candidate{Step: i, End: st.End, Answer: ans, Rule: rule, Correct: g != "" && candidateCorrect(bench, ans, g)})
	}
	return out
}

// stepAnswer is the answer one step states ("" for none).
func stepAnswer(s string, numeric bool) (string, string) {
	if strings.Contains(s, `\boxed`) || strings.Contains(s, `\fbox`) {
		if j, ok := gradeBoxedAnswer(s); ok && strings.TrimSpace(j) != "" {
			return strings.TrimSpace(j), CandidateBoxed
		}
	}
	if a := gradeAfterLast(s, "answer", gradeAnswerIsRe, numeric); a != "" {
		return a, CandidateAnswerIs
	}
	line := s[strings.LastIndexByte(s, '\n')+1:]
	if eq := strings.LastIndexByte(line, '='); eq >= 0 && len(line)-eq <= 64 {
		if m := candEqualsRE.FindStringSubmatch(line[eq:]); m != nil {
			x := strings.TrimSpace(strings.Trim(strings.TrimSpace(m[1]), "$"))
			if numeric {
				if n := candNumberRE.FindStringSubmatch(x); n != nil {
					return strings.ReplaceAll(n[1], ",", ""), CandidateEquals
				}
			} else if x != "" && (strings.ContainsAny(x, "0123456789") || strings.Contains(x, `\`)) &&
				!candWordRE.MatchString(candCommandRE.ReplaceAllString(x, "")) {
				return x, CandidateEquals
			}
		}
	}
	return "", ""
}

// candidateCorrect compares one candidate with the (already read) gold answer under its own time limit;
// a parse failure or timeout is false.
func candidateCorrect(bench, ans, gold string) (ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultGradeTimeout)
	defer cancel()
	b := newGradeBudget(ctx)
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	ok, _ = gradeCompare(bench, ans, gold, b)
	return ok
}

// Trajectory classes of a completion (ClassifyTrajectory).
const (
	TrajectoryConfirmatory = "confirmatory" // the first answer is correct and so is the final one
	TrajectoryCorrective   = "corrective"   // the first answer is wrong, the final one correct
	TrajectoryDestructive  = "destructive"  // a correct answer was stated, the final one is wrong
	TrajectoryUnresolved   = "unresolved"   // no correct answer was stated and the final one is wrong
)

// ClassifyTrajectory classifies a completion from its ordered answer candidates and its final verdict:
// confirmatory (first candidate correct, final correct; also a correct final answer with no candidate
// before it), corrective (first candidate wrong, final correct), destructive (some candidate correct,
// final wrong) or unresolved (no candidate correct, final wrong). Switches counts consecutive candidates
// that state different answers (two correct ones are the same answer; others compare by
// NormalizeAnswer).
func ClassifyTrajectory(cands []Candidate, finalCorrect bool) (class string, switches int) {
	key := func(c Candidate) string {
		if c.Correct {
			return "\x00correct"
		}
		return NormalizeAnswer(c.Answer)
	}
	anyCorrect := false
	for i, c := range cands {
		anyCorrect = anyCorrect || c.Correct
		if i > 0 && key(c) != key(cands[i-1]) {
			switches++
		}
	}
	switch {
	case finalCorrect && (len(cands) == 0 || cands[0].Correct):
		return TrajectoryConfirmatory, switches
	case finalCorrect:
		return TrajectoryCorrective, switches
	case anyCorrect:
		return TrajectoryDestructive, switches
	}
	return TrajectoryUnresolved, switches
}

// DefaultReflectionMarkers are the phrases counted as reflection (self-verification, second-guessing)
// by default. Matching ignores ASCII case, needs word boundaries, and a space in a marker matches any
// run of white space or a hyphen ("let me double-check" counts as "let me double check").
var DefaultReflectionMarkers = []string{"wait", "alternatively", "let me double check", "hmm", "but let me verify"}

// ReflectionMarkers returns the byte offsets where markers occur in text, in order. At each position the
// longest matching marker counts and the scan resumes after it, so markers that contain one another
// ("let me verify" and "but let me verify") count a phrase once. Empty markers are ignored.
func ReflectionMarkers(text string, markers []string) []int {
	ms := make([]string, 0, len(markers))
	for _, m := range markers {
		if m = strings.ToLower(strings.TrimSpace(m)); m != "" {
			ms = append(ms, m)
		}
	}
	// longest first
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && len(ms[j]) > len(ms[j-1]); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	var out []int
	for i := 0; i < len(text); {
		if i > 0 && isWordByte(text[i-1]) {
			i++
			continue
		}
		n := 0
		for _, m := range ms {
			if k := matchMarker(text, i, m); k > 0 {
				n = k
				break
			}
		}
		if n == 0 {
			i++
			continue
		}
		out = append(out, i)
		i += n
	}
	return out
}

// matchMarker returns the length of the match of marker m at text[i:] (0: none), with the word
// boundary after it.
func matchMarker(text string, i int, m string) int {
	j := i
	for k := 0; k < len(m); k++ {
		if m[k] == ' ' {
			start := j
			for j < len(text) && (isSpaceByte(text[j]) || text[j] == '-') {
				j++
			}
			if j == start {
				return 0
			}
			continue
		}
		if j >= len(text) || lowerASCII(text[j]) != m[k] {
			return 0
		}
		j++
	}
	if j < len(text) && isWordByte(text[j]) {
		return 0
	}
	return j - i
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// CompletionAnalysis is the reasoning structure of one completion (AnalyzeCompletion). Offsets are in
// bytes of the completion text.
type CompletionAnalysis struct {
	// ThinkEnd and ThinkState are ThinkSplit's.
	ThinkEnd   int    `json:"think_end"`
	ThinkState string `json:"think_state"`
	Steps      int    `json:"steps"`
	// Candidates are the answers stated along the way (AnswerCandidates).
	Candidates []Candidate `json:"candidates"`
	// FirstCorrectEnd is the end of the first step whose answer is correct; when no candidate is but
	// the final verdict is, the final answer arrives at the end: len(text). -1 when the completion never
	// states the correct answer.
	FirstCorrectEnd int `json:"first_correct_end"`
	// Trajectory and Switches are ClassifyTrajectory's.
	Trajectory string `json:"trajectory"`
	Switches   int    `json:"switches"`
	// Markers are the offsets of reflection markers (ReflectionMarkers).
	Markers []int `json:"markers"`
}

// AnalyzeCompletion analyses a completion graded finalCorrect against gold for benchmark: its think
// split, steps, answer candidates, where it first states the correct answer, its trajectory and its
// reflection markers.
func AnalyzeCompletion(benchmark, text, gold string, finalCorrect bool, markers []string) CompletionAnalysis {
	a := CompletionAnalysis{FirstCorrectEnd: -1}
	a.ThinkEnd, a.ThinkState = ThinkSplit(text)
	steps := SplitSteps(text)
	a.Steps = len(steps)
	a.Candidates = answerCandidates(benchmark, text, gold, steps)
	for _, c := range a.Candidates {
		if c.Correct {
			a.FirstCorrectEnd = c.End
			break
		}
	}
	if a.FirstCorrectEnd < 0 && finalCorrect {
		a.FirstCorrectEnd = len(text)
	}
	a.Trajectory, a.Switches = ClassifyTrajectory(a.Candidates, finalCorrect)
	a.Markers = ReflectionMarkers(text, markers)
	return a
}
