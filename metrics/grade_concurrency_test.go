package metrics

import (
	"sync"
	"testing"
)

// TestGradeConcurrent: Grade is safe for concurrent use (run with -race).
func TestGradeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range gradeCases {
				if v := Grade(c.bench, c.response, c.gold); v.Correct != c.correct {
					t.Errorf("concurrent Grade(%q) = %+v", c.response, v)
				}
			}
			for _, c := range equivCases[:200] {
				if Equivalent(c.pred, c.gold) != c.want {
					t.Errorf("concurrent Equivalent(%q, %q)", c.pred, c.gold)
				}
			}
		}()
	}
	wg.Wait()
}
