package bench

import (
	"strings"
	"testing"
)

// hashConfig is a config without threads or spinning; its hashes were computed by the code before
// those keys existed (main at aa53aeb): adding the keys must not change them.
const hashConfig = `seed: 7
models:
  - {name: base, path: m/base, provider: cuda, chat: true}
  - {name: cand, path: m/cand}
datasets:
  - {name: g, kind: jsonl, path: p.jsonl, grader: gsm8k}
decoding:
  - {name: greedy, max_new_tokens: 64, batch_size: 4}
`

const (
	hashConfigHash = "e067cdb76c35b9065526d7b9052b31da70e7c04b66cfef804991314c112e7676"
	hashConfigTask = "bcdfe2a9621969be11defc3d91f19775834e7a93f80d6d6eed8add387f692481"
)

// threads and spinning are read, validated and left out of the config and task hashes (speed, not
// samples); a config that does not use them hashes as it did before they existed.
func TestModelThreadsAndSpinning(t *testing.T) {
	c, err := ParseConfig([]byte(hashConfig), "c.yaml", "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() != hashConfigHash || c.TaskHash("base", "g", "greedy") != hashConfigTask {
		t.Fatalf("the hashes of a config without threads/spinning changed: %s %s", c.Hash(), c.TaskHash("base", "g", "greedy"))
	}
	with := strings.Replace(hashConfig, "chat: true}", "chat: true, threads: 4, spinning: false}", 1)
	w, err := ParseConfig([]byte(with), "c.yaml", "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := w.Model("base")
	if m.Threads != 4 || m.Spinning == nil || *m.Spinning {
		t.Fatalf("model %+v", m)
	}
	if w.Hash() != hashConfigHash || w.TaskHash("base", "g", "greedy") != hashConfigTask {
		t.Fatal("threads/spinning changed the hashes")
	}
	for _, c := range []struct{ yaml, want string }{
		{strings.Replace(hashConfig, "chat: true}", "chat: true, threads: -2}", 1), "c.yaml:3: model \"base\": threads: want 0"},
		{strings.Replace(hashConfig, "chat: true}", "chat: true, threads: four}", 1), "c.yaml:3"},
		{strings.Replace(hashConfig, "chat: true}", "chat: true, spinning: maybe}", 1), "c.yaml:3"},
	} {
		_, err := ParseConfig([]byte(c.yaml), "c.yaml", "/tmp")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v", c.want, err)
		}
	}
}
