package runner

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// TestOrtAPITableIndexes checks ortapi.go's OrtApi table positions against the header that the
// onnxruntime_go module ships.
func TestOrtAPITableIndexes(t *testing.T) { checkTableIndexes(t, "ortapi.go", "I_", 24) }

// checkTableIndexes checks the OrtApi table positions a cgo file declares (enum entries PREFIX<name> =
// position) against onnxruntime_go's onnxruntime_c_api.h in the module cache, compiled with the
// system's C compiler (offsetof / sizeof(void*)); it wants at least least of them.
func checkTableIndexes(t *testing.T, file, prefix string, least int) {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			t.Skip("no C compiler")
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Fatalf("finding the onnxruntime_go module: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if _, err := os.Stat(filepath.Join(dir, "onnxruntime_c_api.h")); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*` + prefix + `(\w+) = (\d+),`)
	var prog strings.Builder
	prog.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include \"onnxruntime_c_api.h\"\nint main(void) {\n")
	want := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.Atoi(m[2])
		want[m[1]] = n
		fmt.Fprintf(&prog, "printf(\"%s %%zu\\n\", offsetof(OrtApi, %s) / sizeof(void*));\n", m[1], m[1])
	}
	if len(want) < least {
		t.Fatalf("found only %d table positions in %s", len(want), file)
	}
	prog.WriteString("return 0; }\n")
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "offsets.c"), []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "offsets")
	if out, err := exec.Command(cc, "-I", dir, filepath.Join(tmp, "offsets.c"), "-o", bin).CombinedOutput(); err != nil {
		t.Fatalf("compiling against %s: %v\n%s", dir, err, out)
	}
	got, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		var name string
		var idx int
		fmt.Sscanf(line, "%s %d", &name, &idx)
		seen++
		if want[name] != idx {
			t.Errorf("OrtApi.%s is at position %d in the header, %s says %d", name, idx, file, want[name])
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d of %d positions", seen, len(want))
	}
}

// tinyDir writes a seeded tiny model (std or genai) and returns its directory.
func tinyDir(t testing.TB, genai, kv16 bool, eosBias float32) (string, onnxbuild.LlamaConfig) {
	t.Helper()
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.GenAI, cfg.KVFloat16 = genai, kv16
	dir := t.TempDir()
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, 5, eosBias, onnxbuild.DirOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

// The device-binding stepper gives the host-buffer stepper's logits bit for bit, at every step of the
// same schedule (prefill batches, refills, compaction, chunked prefill), for both graph families and
// the shared past/present buffer; and so the same completions, greedy and sampled.
func TestBindStepEqualsHostKV(t *testing.T) {
	needORT(t)
	for _, v := range []struct {
		name          string
		genai, kv16   bool
		separate      bool
		chunkedLogits int64
	}{
		{name: "std"}, {name: "std_kv16", kv16: true}, {name: "std_chunked", chunkedLogits: 4 * 354 * 4},
		{name: "genai_shared", genai: true}, {name: "genai_separate", genai: true, separate: true},
	} {
		t.Run(v.name, func(t *testing.T) {
			dir, _ := tinyDir(t, v.genai, v.kv16, 3)
			var logs [2][][]float32
			var outs [2][]Completion
			reqs := ortWorkloadDir(t, dir)
			for i, host := range []bool{true, false} {
				m, err := Open(dir, Options{Provider: ProviderCPU, HostKV: host, SeparateKV: v.separate, MaxPrefillLogitsBytes: v.chunkedLogits})
				if err != nil {
					t.Fatal(err)
				}
				ls := &logStep{stepper: m.st}
				for _, dec := range []Decoding{{MaxNewTokens: 30}, {MaxNewTokens: 30, Temperature: 1.1, TopP: 0.95}} {
					out, _, _ := runAll(t, ls, m.cfg, reqs, dec, 4)
					outs[i] = append(outs[i], out...)
				}
				logs[i] = ls.logits
				m.Close()
			}
			if len(logs[0]) != len(logs[1]) {
				t.Fatalf("%d steps with host buffers, %d bound on the device", len(logs[0]), len(logs[1]))
			}
			for s := range logs[0] {
				for j := range logs[0][s] {
					if a, b := logs[0][s][j], logs[1][s][j]; math.Float32bits(a) != math.Float32bits(b) {
						t.Fatalf("step %d logit %d: host %v, device %v", s, j, a, b)
					}
				}
			}
			for i := range outs[0] {
				if !sameResult(outs[0][i], outs[1][i]) {
					t.Errorf("completion %d differs", i)
				}
			}
		})
	}
}

// ortWorkloadDir is ortWorkload for a directory (its byte-level tokenizer).
func ortWorkloadDir(t *testing.T, dir string) []Request {
	t.Helper()
	m, err := Open(dir, Options{Provider: ProviderCPU, HostKV: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	return ortWorkload(t, m)
}

// Ten thousand decode steps leave no OrtValue behind, and the cache is never copied in the step loop:
// the cache bytes the scheduler moves (placing prompts into rows, compacting) are the same for 2000 new
// tokens per request as for 20.
func TestBindStepNoLeakNoCopies(t *testing.T) {
	needORT(t)
	for _, genai := range []bool{false, true} {
		dir, cfg := tinyDir(t, genai, false, 0)
		m, err := Open(dir, Options{Provider: ProviderCPU})
		if err != nil {
			t.Fatal(err)
		}
		bs := m.st.(*bindStep)
		var reqs []Request
		for i := range 5 {
			reqs = append(reqs, Request{PromptIDs: []int{1, 40 + i, 50 + i, 60}})
		}
		var copied [2]int64
		for k, n := range []int{21, 2001} {
			base, before := liveValues.Load(), bs.copied
			peak := int64(0)
			st, err := m.Stream(t.Context(), reqs, Decoding{MaxNewTokens: n, EOSIDs: []int{-1}}, 1, func(int, Completion) error {
				peak = max(peak, liveValues.Load()-base)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.DecodeSteps != 5*(n-1) {
				t.Fatalf("%d decode steps", st.DecodeSteps)
			}
			if left := liveValues.Load() - base; left != 0 {
				t.Errorf("genai %v: %d OrtValues left after the call", genai, left)
			}
			if limit := int64(4 * 2 * cfg.Layers); peak > limit {
				t.Errorf("genai %v: %d OrtValues alive while decoding (at most %d expected)", genai, peak, limit)
			}
			copied[k] = bs.copied - before
		}
		if copied[0] != copied[1] || copied[0] == 0 {
			t.Errorf("genai %v: %d cache bytes copied for 20 tokens a request, %d for 2000", genai, copied[0], copied[1])
		}
		m.Close()
	}
}
