package metrics_test

import (
	"fmt"

	"github.com/acoer/acoer-bench/metrics"
)

func ExamplePassAtK() {
	// 16 samples, 3 correct: the chance that at least one of 4 drawn samples is correct.
	p, _ := metrics.PassAtK(16, 3, 4)
	fmt.Printf("%.4f\n", p)
	// Output: 0.6071
}

func ExamplePercentile() {
	// numpy.percentile([1, 2, 3, 4, 100], 90) == 61.6
	fmt.Printf("%.1f\n", metrics.Percentile([]float64{1, 2, 3, 4, 100}, 90))
	// Output: 61.6
}

func ExampleMcNemarExact() {
	// 2 problems only the baseline solved, 8 only the candidate solved.
	fmt.Println(metrics.McNemarExact(2, 8))
	// Output: 0.109375
}

func ExampleAES() {
	// 40% fewer tokens, accuracy 80% -> 76% (a 5% relative loss): 0.4 - 5*0.05.
	fmt.Printf("%.2f\n", metrics.AES(0.80, 0.76, 1000, 600, metrics.AESParams{}))
	// Output: 0.15
}

func ExampleAggregate() {
	recs := []metrics.Record{
		{ProblemID: "q1", Sample: 0, Correct: true, Answer: "5", CompletionTokens: 120, FinishReason: "stop"},
		{ProblemID: "q1", Sample: 1, Correct: false, Answer: "6", CompletionTokens: 300, FinishReason: "length"},
		{ProblemID: "q2", Sample: 0, Correct: false, Answer: "", CompletionTokens: 300, FinishReason: "length"},
		{ProblemID: "q2", Sample: 1, Correct: true, Answer: "7", CompletionTokens: 80, FinishReason: "stop"},
	}
	rs, _ := metrics.Aggregate(recs, metrics.AggregateOptions{Bootstrap: metrics.BootstrapOptions{Seed: 1}})
	fmt.Println("avg@2:", rs.Accuracy.Estimate)
	for i := range rs.PassAtK {
		fmt.Printf("pass@%d: %.2f maj@%d: %.2f\n", rs.PassAtK[i].K, rs.PassAtK[i].Value.Estimate, rs.MajAtK[i].K, rs.MajAtK[i].Value.Estimate)
	}
	fmt.Println("truncated:", rs.Truncation.Rate, "median tokens:", rs.Length.All.Median)
	// Output:
	// avg@2: 0.5
	// pass@1: 0.50 maj@1: 0.50
	// pass@2: 1.00 maj@2: 1.00
	// truncated: 0.5 median tokens: 210
}
