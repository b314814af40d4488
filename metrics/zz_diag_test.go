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

func TestDiagUnparsed(t *testing.T) {
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
				if _, err := gradeParseExpr(p, b); err != nil {
					n++
					t.Logf("%q -> %q", r.gold, p)
				}
			}
		})
	}
	t.Logf("%d unparsed", n)
}
