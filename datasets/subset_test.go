package datasets

import (
	"fmt"
	"reflect"
	"testing"
)

func ids(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestSelect(t *testing.T) {
	ps := make([]Problem, 10)
	for i := range ps {
		ps[i] = Problem{ID: fmt.Sprint(i)}
	}
	if got := ids(Select(ps, 3, nil)); !reflect.DeepEqual(got, []string{"0", "1", "2"}) {
		t.Errorf("first 3: %v", got)
	}
	for _, n := range []int{0, -1, 10, 11} {
		if got := Select(ps, n, nil); len(got) != 10 {
			t.Errorf("limit %d: %d problems", n, len(got))
		}
	}
	seed := uint64(42)
	a := ids(Select(ps, 4, &seed))
	// Golden (also computed by an independent Python SplitMix64 + Fisher-Yates): never changes.
	if want := []string{"0", "5", "8", "9"}; !reflect.DeepEqual(a, want) {
		t.Errorf("seed 42: %v, want %v", a, want)
	}
	if b := ids(Select(ps, 4, &seed)); !reflect.DeepEqual(a, b) {
		t.Errorf("not deterministic: %v vs %v", a, b)
	}
	big := ids(Select(ps, 7, &seed))
	in := map[string]bool{}
	for _, id := range big {
		in[id] = true
	}
	for _, id := range a {
		if !in[id] {
			t.Errorf("limit 7 is not a superset of limit 4: %v vs %v", big, a)
		}
	}
	other := uint64(7)
	if c := ids(Select(ps, 4, &other)); reflect.DeepEqual(a, c) {
		t.Errorf("seeds 42 and 7 chose the same: %v", c)
	}
	out := Select(ps, 3, nil)
	out[0].ID = "changed"
	if ps[0].ID != "0" {
		t.Error("Select aliases its input slice")
	}
}
