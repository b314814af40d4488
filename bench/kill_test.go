//go:build unix

package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/acoer/acoer-bench/runner"
)

// TestKillNineResume runs the benchmark in a child process (this test binary re-executed), kills it
// with SIGKILL at random moments until a run completes, and checks the samples equal an uninterrupted
// run's. The generator is the deterministic fake, slowed a little so kills land mid-run.
func TestKillNineResume(t *testing.T) {
	if os.Getenv("ACOER_BENCH_CHILD_OUT") != "" {
		t.Skip("child")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cfg := mustConfig(t, testConfig)
	ref := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: ref}, deps)
	want := canonical(t, ref)

	partial := 0
	for seed := uint64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		out := t.TempDir()
		kills := 0
		for attempt := 0; ; attempt++ {
			if attempt > 100 {
				t.Fatal("the run never completed")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillNineChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "ACOER_BENCH_CHILD_OUT="+out)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("child failed: %v", err)
				}
			case <-time.After(time.Duration(20+r.IntN(120)+40*attempt) * time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
				if n := countSamples(t, out); n > 0 && n < 160 {
					partial++
				}
				continue
			}
			break
		}
		if !reflect.DeepEqual(canonical(t, out), want) {
			t.Fatalf("seed %d: samples after %d kills differ from an uninterrupted run", seed, kills)
		}
		t.Logf("seed %d: %d kills", seed, kills)
	}
	if partial < 1 {
		t.Fatalf("only %d kills landed mid-run", partial)
	}
}

// TestKillNineChild is the child of TestKillNineResume.
func TestKillNineChild(t *testing.T) {
	out := os.Getenv("ACOER_BENCH_CHILD_OUT")
	if out == "" {
		t.Skip("only run as TestKillNineResume's child")
	}
	cfg := mustConfig(t, testConfig)
	deps, _ := fakeDeps(0, "", nil)
	open := deps.Open
	deps.Open = func(ctx context.Context, m ModelSpec) (Generator, error) {
		g, err := open(ctx, m)
		return slowGen{g}, err
	}
	if _, err := Run(context.Background(), cfg, RunOptions{Out: out}, deps); err != nil {
		t.Fatal(err)
	}
}

type slowGen struct{ Generator }

// Stream takes 1 ms per completion, so that a kill lands while samples stream in.
func (s slowGen) Stream(ctx context.Context, reqs []runner.Request, dec runner.Decoding, slots int, emit func(int, runner.Completion) error) (runner.Stats, error) {
	return s.Generator.Stream(ctx, reqs, dec, slots, func(i int, c runner.Completion) error {
		time.Sleep(time.Millisecond)
		return emit(i, c)
	})
}
