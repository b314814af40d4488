package metrics

import (
	"errors"
	"fmt"
)

// Accuracy is the fraction of true values in correct (0 for empty input).
func Accuracy(correct []bool) float64 {
	if len(correct) == 0 {
		return 0
	}
	c := 0
	for _, ok := range correct {
		if ok {
			c++
		}
	}
	return float64(c) / float64(len(correct))
}

// ProblemAccuracies returns, for each problem, the fraction of its samples graded correct
// (c_i/n_i; 0 for a problem with no samples). samples[i][j] is the verdict of sample j of problem i.
func ProblemAccuracies(samples [][]bool) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = Accuracy(s)
	}
	return out
}

// AvgAtK is avg@k: the mean correctness over the k samples drawn for each problem, averaged over
// problems: (1/P) * sum_i c_i/n_i, where problem i has n_i samples of which c_i are correct. With one
// sample per problem it is plain accuracy. Problems may have different sample counts; it returns an
// error when a problem has no samples, and 0 (no error) for no problems. avg@k is the same number as
// the mean of per-problem unbiased pass@1.
func AvgAtK(samples [][]bool) (float64, error) {
	if len(samples) == 0 {
		return 0, nil
	}
	for i, s := range samples {
		if len(s) == 0 {
			return 0, fmt.Errorf("avg@k: problem %d has no samples", i)
		}
	}
	return Mean(ProblemAccuracies(samples)), nil
}

// PassAtK is the unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models
// Trained on Code", the Codex paper) for one problem with n samples of which c are correct:
//
//	pass@k = 1 - C(n-c, k) / C(n, k)
//
// computed in the paper's numerically stable product form
//
//	1 - prod_{i=n-c+1}^{n} (1 - k/i),   and exactly 1 when n-c < k.
//
// It is the probability that at least one of k samples drawn without replacement from the n is
// correct. pass@1 = c/n. It returns an error unless 1 <= k <= n and 0 <= c <= n.
func PassAtK(n, c, k int) (float64, error) {
	switch {
	case n < 1:
		return 0, fmt.Errorf("pass@k: n = %d samples, need at least 1", n)
	case k < 1:
		return 0, fmt.Errorf("pass@k: k = %d, need k >= 1", k)
	case k > n:
		return 0, fmt.Errorf("pass@k: k = %d is larger than the n = %d samples", k, n)
	case c < 0 || c > n:
		return 0, fmt.Errorf("pass@k: c = %d correct is outside [0, n = %d]", c, n)
	}
	if n-c < k {
		return 1, nil
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod, nil
}

// ProblemPassAtK returns PassAtK(n_i, c_i, k) for each problem of samples (samples[i] holds the
// verdicts of problem i's n_i samples); the error names the first problem where k > n_i.
func ProblemPassAtK(samples [][]bool, k int) ([]float64, error) {
	out := make([]float64, len(samples))
	for i, s := range samples {
		c := 0
		for _, ok := range s {
			if ok {
				c++
			}
		}
		v, err := PassAtK(len(s), c, k)
		if err != nil {
			return nil, fmt.Errorf("problem %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// MeanPassAtK is the benchmark pass@k: the mean over problems of PassAtK(n_i, c_i, k) (Chen et al.
// 2021). It returns an error when k exceeds some problem's sample count (or k < 1), and 0 for no
// problems.
func MeanPassAtK(samples [][]bool, k int) (float64, error) {
	v, err := ProblemPassAtK(samples, k)
	if err != nil {
		return 0, err
	}
	return Mean(v), nil
}

// Vote is one sample's contribution to a majority vote: its extracted answer in canonical form (the
// equivalence key: two samples vote for the same answer exactly when their Answer strings are equal;
// "" means no answer was extracted, which is no vote) and whether that answer was graded correct.
type Vote struct {
	Answer  string `json:"answer"`
	Correct bool   `json:"correct"`
}

// MajorityVote returns the majority answer among the first k votes (k <= 0 means all of them) and
// whether it is correct. Votes with an empty Answer are ignored. Ties are broken deterministically in
// favour of the tied answer that appeared first in the votes. The verdict is the one of the first vote
// carrying the winning answer. With no non-empty answer it returns ("", false): such a problem counts
// as incorrect.
func MajorityVote(votes []Vote, k int) (answer string, correct bool) {
	if k <= 0 || k > len(votes) {
		k = len(votes)
	}
	counts := make(map[string]int, k)
	first := make(map[string]int, k)
	best, bestCount, bestFirst := "", 0, 0
	for i, v := range votes[:k] {
		if v.Answer == "" {
			continue
		}
		if _, ok := first[v.Answer]; !ok {
			first[v.Answer] = i
		}
		counts[v.Answer]++
		n, f := counts[v.Answer], first[v.Answer]
		if n > bestCount || (n == bestCount && f < bestFirst) {
			best, bestCount, bestFirst = v.Answer, n, f
		}
	}
	if bestCount == 0 {
		return "", false
	}
	return best, votes[bestFirst].Correct
}

// MajAtK is maj@k (majority voting, self-consistency of Wang et al. 2023): for each problem take the
// majority answer (MajorityVote) among its first k samples' extracted answers; the problem is correct
// when that answer is graded correct; problems with no extracted answer count as incorrect. The result
// is the fraction of problems that are correct. It returns an error when k < 1 or a problem has fewer
// than k samples, and 0 for no problems.
func MajAtK(votes [][]Vote, k int) (float64, error) {
	v, err := ProblemMajAtK(votes, k)
	if err != nil {
		return 0, err
	}
	return Mean(v), nil
}

// ProblemMajAtK returns per problem 1 when its maj@k answer is correct and 0 otherwise (see MajAtK).
func ProblemMajAtK(votes [][]Vote, k int) ([]float64, error) {
	if k < 1 {
		return nil, errors.New("maj@k: need k >= 1")
	}
	out := make([]float64, len(votes))
	for i, vs := range votes {
		if len(vs) < k {
			return nil, fmt.Errorf("maj@k: problem %d has %d samples, fewer than k = %d", i, len(vs), k)
		}
		if _, ok := MajorityVote(vs, k); ok {
			out[i] = 1
		}
	}
	return out, nil
}
