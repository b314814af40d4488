package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// confidenceLevel is the level of every interval in the results.
const confidenceLevel = 0.95

// aggInput is what the aggregation needs: the manifest (config + provenance), the samples of each task
// and, per task, how many (problem, sample) pairs were planned (for Complete).
type aggInput struct {
	Manifest *Manifest
	Samples  map[TaskKey][]Sample
	Expected map[TaskKey]int
	Stats    Statistics
	Revision string
	Host     string
	Created  string
	Shards   []string
}

// bootSeed derives a bootstrap seed for one statistic from the run seed and a label.
func bootSeed(run uint64, label string) uint64 {
	h := sha256.Sum256([]byte(strconv.FormatUint(run, 10) + "\x00" + label))
	return binary.LittleEndian.Uint64(h[:8])
}

// aggregate computes results.json from samples. Every statistic goes through in.Stats.
func aggregate(in aggInput) *Results {
	st := in.Stats
	if st == nil {
		st = defaultStats()
	}
	cfg := in.Manifest.Config
	res := &Results{
		SchemaVersion: ResultsVersion,
		Baseline:      cfg.Baseline,
		Gates:         cfg.Gates,
		Provenance: Provenance{
			Revision:   in.Revision,
			ConfigHash: in.Manifest.ConfigHash,
			Seed:       cfg.Seed,
			Host:       in.Host,
			CreatedAt:  in.Created,
			Shards:     in.Shards,
			Models:     map[string]ModelProv{},
			Datasets:   map[string]DatasetProv{},
			Decoding:   cfg.Decoding,
			Stats: map[string]string{
				"confidence_level": "0.95",
				"accuracy_ci":      "percentile bootstrap over problems, 1000 resamples, seeded from the run seed",
				"paired_ci":        "paired percentile bootstrap over problems, 1000 resamples",
				"paired_test":      "exact McNemar (k=1) / exact sign test on per-problem accuracy (k>1)",
				"pass_at_k":        "unbiased estimator 1-C(n-c,k)/C(n,k) (Chen et al. 2021)",
				"maj_at_k":         "majority vote over extracted answers (exact string match), ties to the first seen",
				"implementation":   fmt.Sprintf("%T", st),
			},
		},
	}
	for _, m := range cfg.Models {
		mp := ModelProv{ModelInfo: in.Manifest.Models[m.Name], Chat: m.Chat, System: m.System, EnableThinking: m.EnableThinking}
		if mp.Path == "" {
			mp.Path = m.Path
		}
		res.Provenance.Models[m.Name] = mp
	}
	for _, d := range cfg.Datasets {
		res.Provenance.Datasets[d.Name] = DatasetProv{DatasetInfo: in.Manifest.Datasets[d.Name], Kind: d.Kind,
			Template: d.Template, Grader: d.Grader, Limit: d.Limit, Seed: d.Seed}
	}
	// Tasks in config order.
	for _, m := range cfg.Models {
		for _, d := range cfg.Datasets {
			for _, dec := range cfg.Decoding {
				k := TaskKey{m.Name, d.Name, dec.Name}
				s, ok := in.Samples[k]
				if !ok {
					continue
				}
				tr := aggregateTask(st, k, d, dec, s, cfg.DecodingSeed(dec))
				if exp, ok := in.Expected[k]; ok {
					tr.Complete = len(s) >= exp
				} else {
					tr.Complete = true
				}
				res.Tasks = append(res.Tasks, tr)
			}
		}
	}
	// Comparisons with the baseline.
	if b := cfg.Baseline; b != "" {
		for i := range res.Tasks {
			t := &res.Tasks[i]
			if t.Model == b {
				continue
			}
			base, ok := in.Samples[TaskKey{b, t.Dataset, t.Decoding}]
			if !ok {
				continue
			}
			cand := in.Samples[TaskKey{t.Model, t.Dataset, t.Decoding}]
			t.VsBaseline = compareSamples(st, b, base, cand, cfg.Seed, t.Model+"/"+t.Dataset+"/"+t.Decoding)
		}
	}
	// Overall per model x decoding.
	for _, m := range cfg.Models {
		for _, dec := range cfg.Decoding {
			var all []Sample
			for _, d := range cfg.Datasets {
				all = append(all, in.Samples[TaskKey{m.Name, d.Name, dec.Name}]...)
			}
			if len(all) == 0 {
				continue
			}
			o := OverallResult{Model: m.Name, Decoding: dec.Name, Samples: len(all)}
			probs := perProblem(all)
			o.Problems = len(probs)
			acc := make([]float64, len(probs))
			for i, p := range probs {
				acc[i] = p.acc
			}
			o.Accuracy = meanEstimate(st, acc, bootSeed(cfg.Seed, "overall/"+m.Name+"/"+dec.Name))
			o.MeanTokens = Float(meanOf(tokensOf(all)))
			if b := cfg.Baseline; b != "" && b != m.Name {
				var base []Sample
				for _, d := range cfg.Datasets {
					base = append(base, in.Samples[TaskKey{b, d.Name, dec.Name}]...)
				}
				if len(base) > 0 {
					o.VsBaseline = compareSamples(st, b, base, all, cfg.Seed, "overall/"+m.Name+"/"+dec.Name)
				}
			}
			res.Overall = append(res.Overall, o)
		}
	}
	return res
}

// problemAgg is one problem's samples reduced.
type problemAgg struct {
	key     string // dataset + "\x00" + problem id
	n, c    int
	acc     float64 // c/n
	tokens  float64 // mean completion tokens
	totalMs float64 // mean end-to-end ms
	idx     []int   // sample positions in the input
}

// perProblem groups samples by (dataset, problem id), in first-seen order.
func perProblem(s []Sample) []*problemAgg {
	byKey := map[string]*problemAgg{}
	var out []*problemAgg
	for i, x := range s {
		k := x.Dataset + "\x00" + x.ProblemID
		p := byKey[k]
		if p == nil {
			p = &problemAgg{key: k}
			byKey[k] = p
			out = append(out, p)
		}
		p.n++
		if x.Correct {
			p.c++
		}
		p.tokens += float64(x.CompletionTokens)
		p.totalMs += x.TotalMs
		p.idx = append(p.idx, i)
	}
	for _, p := range out {
		p.acc = float64(p.c) / float64(p.n)
		p.tokens /= float64(p.n)
		p.totalMs /= float64(p.n)
	}
	return out
}

func meanOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func tokensOf(s []Sample) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = float64(x.CompletionTokens)
	}
	return out
}

func meanEstimate(st Statistics, xs []float64, seed uint64) Estimate {
	lo, hi := st.BootstrapMeanCI(xs, confidenceLevel, seed)
	return Estimate{Value: Float(meanOf(xs)), Lo: Float(lo), Hi: Float(hi), Level: confidenceLevel}
}

func summarize(st Statistics, xs []float64) Summary {
	s := Summary{N: len(xs), Mean: Float(meanOf(xs)), Median: Float(st.Quantile(xs, 0.5)), P90: Float(st.Quantile(xs, 0.9)), Max: Float(math.NaN())}
	for i, x := range xs {
		if i == 0 || x > float64(s.Max) {
			s.Max = Float(x)
		}
	}
	return s
}

func dist(st Statistics, xs []float64) Dist {
	return Dist{Mean: Float(meanOf(xs)), P50: Float(st.Quantile(xs, 0.5)), P90: Float(st.Quantile(xs, 0.9)),
		P95: Float(st.Quantile(xs, 0.95)), P99: Float(st.Quantile(xs, 0.99))}
}

func aggregateTask(st Statistics, k TaskKey, d DatasetSpec, dec DecodingSpec, s []Sample, runSeed uint64) TaskResult {
	t := TaskResult{Model: k.Model, Dataset: k.Dataset, Decoding: k.Decoding, Benchmark: d.Grader, Samples: len(s), K: dec.Samples}
	probs := perProblem(s)
	t.Problems = len(probs)
	acc := make([]float64, len(probs))
	for i, p := range probs {
		acc[i] = p.acc
	}
	t.Accuracy = meanEstimate(st, acc, bootSeed(runSeed, "acc/"+k.String()))
	if dec.Samples > 1 {
		avg := t.Accuracy.Value
		t.AvgAtK = &avg
		for _, kk := range atKs(dec.Samples) {
			vals := make([]float64, 0, len(probs))
			for _, p := range probs {
				if p.n >= kk {
					vals = append(vals, st.PassAtK(p.n, p.c, kk))
				}
			}
			t.PassAtK = append(t.PassAtK, AtK{K: kk, Value: Float(meanOf(vals))})
		}
		maj := make([]float64, len(probs))
		for i, p := range probs {
			answers := make([]string, len(p.idx))
			for j, si := range p.idx {
				answers[j] = s[si].Extracted
			}
			if w := st.Majority(answers); w >= 0 && s[p.idx[w]].Correct {
				maj[i] = 1
			}
		}
		m := Float(meanOf(maj))
		t.MajAtK = &m
	}
	var all, cor, inc, ttft, perTok, total []float64
	levels := map[string][]Sample{}
	trunc, unclosed := 0, 0
	var sumTok, sumSec float64
	for _, x := range s {
		l := float64(x.CompletionTokens)
		all = append(all, l)
		if x.Correct {
			cor = append(cor, l)
		} else {
			inc = append(inc, l)
		}
		if x.Level != "" {
			levels[x.Level] = append(levels[x.Level], x)
		}
		if x.FinishReason == "length" {
			trunc++
		}
		if x.ThinkOpened && !x.ThinkClosed {
			unclosed++
		}
		ttft = append(ttft, x.TTFTMs)
		total = append(total, x.TotalMs)
		if x.CompletionTokens >= 2 {
			perTok = append(perTok, x.PerTokenMs)
		}
		sumTok += l
		sumSec += x.TotalMs / 1000
	}
	t.Length = LengthStats{Overall: summarize(st, all), Correct: summarize(st, cor), Incorrect: summarize(st, inc)}
	lv := make([]string, 0, len(levels))
	for l := range levels {
		lv = append(lv, l)
	}
	sort.Slice(lv, func(i, j int) bool { return levelLess(lv[i], lv[j]) })
	for _, l := range lv {
		xs := levels[l]
		c := 0
		for _, x := range xs {
			if x.Correct {
				c++
			}
		}
		t.Length.ByLevel = append(t.Length.ByLevel, LevelSummary{Level: l, Samples: len(xs),
			Accuracy: Float(float64(c) / float64(len(xs))), Length: summarize(st, tokensOf(xs))})
	}
	n := float64(len(s))
	t.TruncationRate = Float(float64(trunc) / n)
	t.ThinkUnclosedRate = Float(float64(unclosed) / n)
	t.Latency = Latency{TTFTMs: dist(st, ttft), PerTokenMs: dist(st, perTok), TotalMs: dist(st, total)}
	t.TokensPerSecond = Float(math.NaN())
	if sumSec > 0 {
		t.TokensPerSecond = Float(sumTok / sumSec)
	}
	t.AccuracyPer1kTokens = Float(math.NaN())
	if mt := meanOf(all); mt > 0 {
		t.AccuracyPer1kTokens = Float(float64(t.Accuracy.Value) / mt * 1000)
	}
	return t
}

// levelLess orders levels numerically when both parse ("Level 2" < "Level 10"), else as strings.
func levelLess(a, b string) bool {
	na, okA := levelNum(a)
	nb, okB := levelNum(b)
	if okA && okB && na != nb {
		return na < nb
	}
	return a < b
}

func levelNum(s string) (float64, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			v, err := strconv.ParseFloat(s[i:], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// atKs are the k values reported for n samples: 1, powers of two below n, and n.
func atKs(n int) []int {
	var out []int
	for k := 1; k < n; k *= 2 {
		out = append(out, k)
	}
	return append(out, n)
}

// compareSamples pairs candidate and baseline by (dataset, problem) and compares them.
func compareSamples(st Statistics, baseline string, base, cand []Sample, runSeed uint64, label string) *Comparison {
	bp := perProblem(base)
	bm := make(map[string]*problemAgg, len(bp))
	for _, p := range bp {
		bm[p.key] = p
	}
	var bAcc, cAcc, bTok, cTok, bLat, cLat []float64
	for _, p := range perProblem(cand) {
		b, ok := bm[p.key]
		if !ok {
			continue
		}
		bAcc = append(bAcc, b.acc)
		cAcc = append(cAcc, p.acc)
		bTok = append(bTok, b.tokens)
		cTok = append(cTok, p.tokens)
		bLat = append(bLat, b.totalMs)
		cLat = append(cLat, p.totalMs)
	}
	c := &Comparison{Baseline: baseline, Paired: len(bAcc), Test: "mcnemar_exact"}
	for _, p := range perProblem(cand) {
		if p.n > 1 {
			c.Test = "sign_test_exact"
			break
		}
	}
	nan := Float(math.NaN())
	if c.Paired == 0 {
		c.TokenReduction = Estimate{nan, nan, nan, confidenceLevel}
		c.AccuracyChangePP = c.TokenReduction
		c.LatencyChangePct = c.TokenReduction
		c.TokenIncreasePct, c.AccuracyChangeRelPct, c.PValue, c.BaselineAccuracy, c.BaselineMeanTokens = nan, nan, nan, nan, nan
		return c
	}
	r, lo, hi := st.PairedReduction(bTok, cTok, confidenceLevel, bootSeed(runSeed, "tok/"+label))
	c.TokenReduction = Estimate{Float(r), Float(lo), Float(hi), confidenceLevel}
	c.TokenIncreasePct = Float(-100 * r)
	d, lo, hi := st.PairedDiff(bAcc, cAcc, confidenceLevel, bootSeed(runSeed, "acc/"+label))
	c.AccuracyChangePP = Estimate{Float(100 * d), Float(100 * lo), Float(100 * hi), confidenceLevel}
	ba := meanOf(bAcc)
	c.BaselineAccuracy = Float(ba)
	c.BaselineMeanTokens = Float(meanOf(bTok))
	c.AccuracyChangeRelPct = nan
	if ba > 0 {
		c.AccuracyChangeRelPct = Float(100 * d / ba)
	}
	c.PValue = Float(st.PairedTestP(bAcc, cAcc))
	lr, llo, lhi := st.PairedReduction(bLat, cLat, confidenceLevel, bootSeed(runSeed, "lat/"+label))
	c.LatencyChangePct = Estimate{Float(-100 * lr), Float(-100 * lhi), Float(-100 * llo), confidenceLevel}
	return c
}
