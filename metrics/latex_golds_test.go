package metrics

import (
	"context"
	"testing"
)

func gradeWalkScalars(v gradeVal, f func(string)) {
	if v.kind == gvScalar {
		f(v.text)
		return
	}
	for _, e := range v.elems {
		gradeWalkScalars(e, f)
	}
}

// TestMATHGoldsParse: every MATH gold that is not text parses into expressions (parser coverage);
// the known exceptions are ratios and clock times, compared as normalised strings.
func TestMATHGoldsParse(t *testing.T) {
	known := map[string]bool{"3:1": true, "1:2": true, "1:1": true, "1:03 PM": true, "4:30 p.m": true}
	shared := gradeSharedDir(t)
	recs := gradeReadGolds(t, shared, "math")
	b := newGradeBudget(context.Background())
	n := 0
	for _, r := range recs {
		norm, _ := gradeNormalize(r.gold)
		v := gradeParseVal(norm, b, 0)
		gradeWalkScalars(v, func(s string) {
			if gradeWordy(s) {
				return
			}
			parts, _ := gradeSplitRel(s)
			for _, p := range parts {
				if _, err := gradeParseExpr(p, b); err != nil && !known[p] {
					n++
					t.Errorf("gold %q: %q does not parse", r.gold, p)
				}
			}
		})
	}
	t.Logf("%d golds, %d unexpected parse failures", len(recs), n)
}
