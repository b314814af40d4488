package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadModelDirPrecedence(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"model.onnx":     "x",
		"tokenizer.json": "{}",
		"config.json": `{"vocab_size": 151936, "max_position_embeddings": 40960, "num_hidden_layers": 28,
			"num_attention_heads": 16, "num_key_value_heads": 8, "hidden_size": 1024, "head_dim": 128,
			"eos_token_id": 151645, "bos_token_id": 151643}`,
		"generation_config.json": `{"eos_token_id": [151645, 151643], "pad_token_id": 151643}`,
	})
	md, err := readModelDir(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if md.ContextLength != 40960 || md.VocabSize != 151936 || md.Layers != 28 || md.KVHeads != 8 || md.HeadDim != 128 ||
		!reflect.DeepEqual(md.EOSIDs, []int{151645, 151643}) || md.EOSFrom != "generation_config.json eos_token_id" || *md.PadID != 151643 ||
		md.Names != defaultNames || md.ModelFile != filepath.Join(dir, "model.onnx") {
		t.Errorf("%+v", md)
	}
}

func TestReadModelDirGenai(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"decoder.onnx":   "x",
		"tokenizer.json": "{}",
		"genai_config.json": `{"model": {"bos_token_id": 1, "context_length": 2048, "eos_token_id": [2, 32000],
			"pad_token_id": 0, "vocab_size": 32064, "decoder": {"filename": "decoder.onnx", "head_size": 96,
			"hidden_size": 3072, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
			"inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask", "position_ids": "position_ids",
			"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
			"outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"}}}}`,
	})
	md, err := readModelDir(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if md.ContextLength != 2048 || md.VocabSize != 32064 || md.Layers != 32 || md.HeadDim != 96 ||
		!reflect.DeepEqual(md.EOSIDs, []int{2, 32000}) || md.EOSFrom != "genai_config.json model.eos_token_id" ||
		md.ModelFile != filepath.Join(dir, "decoder.onnx") || md.Names.PresentKey != "present.%d.key" {
		t.Errorf("%+v", md)
	}
}

// The contract matcher on hand-made I/O lists: GQA shapes, float16, dims from config when dynamic.
func TestBuildContract(t *testing.T) {
	md := &modelDir{Names: defaultNames, VocabSize: 100, KVHeads: 2, HeadDim: 8}
	ins := []TensorInfo{{"input_ids", "int64", []int64{-1, -1}}, {"attention_mask", "int64", []int64{-1, -1}}}
	outs := []TensorInfo{{"logits", "float16", []int64{-1, -1, -1}}}
	for l := range 2 {
		for _, kv := range []string{"key", "value"} {
			ins = append(ins, TensorInfo{Name: "past_key_values." + string(rune('0'+l)) + "." + kv, Type: "float16", Dims: []int64{-1, -1, -1, -1}})
			outs = append(outs, TensorInfo{Name: "present." + string(rune('0'+l)) + "." + kv, Type: "float16", Dims: []int64{-1, -1, -1, -1}})
		}
	}
	c, err := buildContract(ins, outs, md)
	if err != nil {
		t.Fatal(err)
	}
	if c.PositionIDs != "" || c.Vocab != 100 || c.KVHeads != 2 || c.HeadDim != 8 || c.KVType != "float16" || c.LogitsType != "float16" || len(c.Layers) != 2 {
		t.Errorf("%+v", c)
	}
	// Mixed KV types and a wrong dtype are reported together.
	ins[0].Type = "int32"
	outs[1].Type = "float32"
	_, err = buildContract(ins, outs, md)
	if err == nil || !strings.Contains(err.Error(), `input "input_ids" is int32, want int64`) || !strings.Contains(err.Error(), "but layer 0 is float16") {
		t.Errorf("want both problems, got %v", err)
	}
}

// FuzzReadModelDir: any config.json / generation_config.json content gives a model dir or an error,
// never a panic.
func FuzzReadModelDir(f *testing.F) {
	f.Add(`{"vocab_size": 10, "eos_token_id": [1, 2]}`, `{"eos_token_id": 3}`)
	f.Add(`{"num_attention_heads": 0, "hidden_size": 5}`, `{"eos_token_id": "x"}`)
	f.Add(`[]`, `null`)
	f.Fuzz(func(t *testing.T, cfg, gen string) {
		dir := writeFiles(t, map[string]string{"model.onnx": "x", "tokenizer.json": "{}", "config.json": cfg, "generation_config.json": gen})
		readModelDir(dir, "")
	})
}
