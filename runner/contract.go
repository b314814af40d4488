package runner

import (
	"fmt"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Contract is a decoder graph's I/O contract, read from the graph (names from genai_config.json when
// present, else the Hugging Face optimum layout).
type Contract struct {
	InputIDs      string `json:"input_ids"`
	AttentionMask string `json:"attention_mask"`
	// PositionIDs is "" when the graph has no position input (the graph then derives positions itself,
	// whose layout in a batch then depends on GroupQueryAttention below).
	PositionIDs string `json:"position_ids,omitempty"`
	Logits      string `json:"logits"`
	// LogitsType is "float32" or "float16".
	LogitsType string `json:"logits_type"`
	// Layers holds the past/present names of each layer, in layer order.
	Layers []LayerIO `json:"layers"`
	// KVType is "float32" or "float16".
	KVType  string `json:"kv_type"`
	KVHeads int    `json:"kv_heads"`
	HeadDim int    `json:"head_dim"`
	Vocab   int    `json:"vocab"`
	// GroupQueryAttention is set when the graph uses ONNX Runtime's GroupQueryAttention operator, which
	// takes each row's keys to be its first seqlens_k+1 cache positions: such rows are left-aligned in a
	// batch (see generate.go).
	GroupQueryAttention bool `json:"group_query_attention,omitempty"`
	// Inputs and Outputs are everything the graph declares.
	Inputs  []TensorInfo `json:"inputs"`
	Outputs []TensorInfo `json:"outputs"`
}

// LayerIO names one layer's KV cache tensors.
type LayerIO struct {
	PastKey      string `json:"past_key"`
	PastValue    string `json:"past_value"`
	PresentKey   string `json:"present_key"`
	PresentValue string `json:"present_value"`
}

// TensorInfo describes one graph input or output (-1 is a dynamic dimension).
type TensorInfo struct {
	Name string  `json:"name"`
	Type string  `json:"type"`
	Dims []int64 `json:"dims"`
}

func (t TensorInfo) String() string {
	d := make([]string, len(t.Dims))
	for i, x := range t.Dims {
		if x < 0 {
			d[i] = "?"
		} else {
			d[i] = fmt.Sprint(x)
		}
	}
	return fmt.Sprintf("%s %s[%s]", t.Name, t.Type, strings.Join(d, ","))
}

// elemType names an ONNX element type the way the contract does.
func elemType(t ortgo.TensorElementDataType) string {
	switch t {
	case ortgo.TensorElementDataTypeFloat:
		return "float32"
	case ortgo.TensorElementDataTypeFloat16:
		return "float16"
	case ortgo.TensorElementDataTypeInt64:
		return "int64"
	case ortgo.TensorElementDataTypeInt32:
		return "int32"
	case ortgo.TensorElementDataTypeBool:
		return "bool"
	}
	return strings.ToLower(t.String())
}

func tensorInfos(infos []ortgo.InputOutputInfo) []TensorInfo {
	out := make([]TensorInfo, len(infos))
	for i, x := range infos {
		out[i] = TensorInfo{Name: x.Name, Type: elemType(x.DataType), Dims: append([]int64(nil), x.Dimensions...)}
	}
	return out
}

// expectedContract is the text of what a decoder must look like, for errors.
func expectedContract(n ioNames) string {
	return fmt.Sprintf("expected inputs %s int64 [batch,seq], %s int64 [batch,past+seq], optionally %s int64 [batch,seq], %s / %s float32|float16 [batch,kv_heads,past,head_dim] for each layer; outputs %s float32|float16 [batch,seq,vocab], %s / %s [batch,kv_heads,past+seq,head_dim]",
		n.InputIDs, n.AttentionMask, n.PositionIDs, fmt.Sprintf(n.PastKey, 0), fmt.Sprintf(n.PastValue, 0), n.Logits, fmt.Sprintf(n.PresentKey, 0), fmt.Sprintf(n.PresentValue, 0))
}

// buildContract matches a graph's declared inputs and outputs against the decoder contract. md supplies
// the names and any dimension the graph leaves dynamic (KV heads, head size, vocab).
func buildContract(inputs, outputs []TensorInfo, md *modelDir) (Contract, error) {
	n := md.Names
	c := Contract{Inputs: inputs, Outputs: outputs}
	in := map[string]TensorInfo{}
	for _, t := range inputs {
		in[t.Name] = t
	}
	out := map[string]TensorInfo{}
	for _, t := range outputs {
		out[t.Name] = t
	}
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	need := func(m map[string]TensorInfo, name, kind string, types ...string) (TensorInfo, bool) {
		t, ok := m[name]
		if !ok {
			fail("no %s %q", kind, name)
			return t, false
		}
		for _, ty := range types {
			if t.Type == ty {
				return t, true
			}
		}
		fail("%s %q is %s, want %s", kind, name, t.Type, strings.Join(types, " or "))
		return t, false
	}
	used := map[string]bool{}
	if _, ok := need(in, n.InputIDs, "input", "int64"); ok {
		c.InputIDs = n.InputIDs
	}
	used[n.InputIDs] = true
	if _, ok := need(in, n.AttentionMask, "input", "int64"); ok {
		c.AttentionMask = n.AttentionMask
	}
	used[n.AttentionMask] = true
	if t, ok := in[n.PositionIDs]; ok {
		if t.Type != "int64" {
			fail("input %q is %s, want int64", t.Name, t.Type)
		}
		c.PositionIDs = n.PositionIDs
		used[n.PositionIDs] = true
	}
	if lt, ok := need(out, n.Logits, "output", "float32", "float16"); ok {
		c.Logits, c.LogitsType = n.Logits, lt.Type
		if len(lt.Dims) != 3 {
			fail("output %q has %d dimensions, want 3 [batch,seq,vocab]", lt.Name, len(lt.Dims))
		} else if lt.Dims[2] > 0 {
			c.Vocab = int(lt.Dims[2])
		}
	}
	if c.Vocab <= 0 {
		c.Vocab = max(md.VocabSize, 0)
	}

	for i := 0; ; i++ {
		pk := fmt.Sprintf(n.PastKey, i)
		if _, ok := in[pk]; !ok {
			break
		}
		l := LayerIO{PastKey: pk, PastValue: fmt.Sprintf(n.PastValue, i), PresentKey: fmt.Sprintf(n.PresentKey, i), PresentValue: fmt.Sprintf(n.PresentValue, i)}
		for _, x := range []struct {
			m    map[string]TensorInfo
			name string
			kind string
		}{{in, l.PastKey, "input"}, {in, l.PastValue, "input"}, {out, l.PresentKey, "output"}, {out, l.PresentValue, "output"}} {
			t, ok := need(x.m, x.name, x.kind, "float32", "float16")
			if !ok {
				continue
			}
			used[x.name] = true
			if c.KVType == "" {
				c.KVType = t.Type
			} else if t.Type != c.KVType {
				fail("%s %q is %s but layer 0 is %s", x.kind, x.name, t.Type, c.KVType)
			}
			if len(t.Dims) != 4 {
				fail("%s %q has %d dimensions, want 4 [batch,kv_heads,seq,head_dim]", x.kind, x.name, len(t.Dims))
				continue
			}
			for _, d := range []struct {
				dst  *int
				v    int64
				what string
			}{{&c.KVHeads, t.Dims[1], "kv_heads"}, {&c.HeadDim, t.Dims[3], "head_dim"}} {
				if d.v <= 0 {
					continue
				}
				if *d.dst == 0 {
					*d.dst = int(d.v)
				} else if *d.dst != int(d.v) {
					fail("%s %q has %s %d, other layers %d", x.kind, x.name, d.what, d.v, *d.dst)
				}
			}
		}
		c.Layers = append(c.Layers, l)
	}
	if len(c.Layers) == 0 {
		fail("no KV cache inputs (%s, %s, ...)", fmt.Sprintf(n.PastKey, 0), fmt.Sprintf(n.PastValue, 0))
	}
	if md.Layers > 0 && len(c.Layers) > 0 && md.Layers != len(c.Layers) {
		fail("the graph has %d layers of KV inputs, the config says num_hidden_layers=%d", len(c.Layers), md.Layers)
	}
	if c.KVHeads == 0 {
		c.KVHeads = max(md.KVHeads, 0)
	}
	if c.HeadDim == 0 {
		c.HeadDim = max(md.HeadDim, 0)
	}
	if len(c.Layers) > 0 && (c.KVHeads == 0 || c.HeadDim == 0) {
		fail("the KV cache's kv_heads/head_dim are dynamic in the graph and not in config.json/genai_config.json (num_key_value_heads, head_dim)")
	}
	if c.Vocab == 0 && c.Logits != "" {
		fail("the vocabulary size is dynamic in the graph and not in config.json/genai_config.json (vocab_size)")
	}
	for _, t := range inputs {
		if !used[t.Name] {
			fail("unexpected input %s", t)
		}
	}
	if len(problems) > 0 {
		return c, &ContractError{Problems: problems, Inputs: inputs, Outputs: outputs, Expected: expectedContract(n)}
	}
	return c, nil
}

// ContractError says why a graph does not fit the decoder contract.
type ContractError struct {
	File            string
	Problems        []string
	Inputs, Outputs []TensorInfo
	Expected        string
}

// Is makes a ContractError match ErrBadModelDir.
func (e *ContractError) Is(target error) bool { return target == ErrBadModelDir }

func (e *ContractError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not fit the decoder contract: %s\n  found inputs:", e.File, strings.Join(e.Problems, "; "))
	for _, t := range e.Inputs {
		fmt.Fprintf(&b, "\n    %s", t)
	}
	b.WriteString("\n  found outputs:")
	for _, t := range e.Outputs {
		fmt.Fprintf(&b, "\n    %s", t)
	}
	fmt.Fprintf(&b, "\n  %s", e.Expected)
	return b.String()
}
