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
	// Extra are the inputs outside the core contract that the runner feeds with its own values
	// (use_cache_branch, num_logits_to_keep / logits_to_keep, cache_position: see feeds.go).
	Extra []ExtraInput `json:"extra_inputs,omitempty"`
	// LogitsLastOnly is set when the logits cover only the last position fed (declared [batch, 1,
	// vocab] or [batch, vocab], without a logits_to_keep input); LogitsRank is the logits' rank (3, or 2
	// for [batch, vocab]).
	LogitsLastOnly bool `json:"logits_last_only,omitempty"`
	LogitsRank     int  `json:"logits_rank"`
	// MaxRows is 1 when the graph's batch dimension is fixed at 1 (0: any number of rows).
	MaxRows int `json:"max_rows,omitempty"`
	// First is the split pair's first-step graph (optimum's decoder_model.onnx), which takes no past:
	// the runner runs it for a step from an empty cache and the main graph
	// (decoder_with_past_model.onnx) for every other step; nil for one-graph layouts.
	First *FirstGraph `json:"first_graph,omitempty"`
	// Inputs and Outputs are everything the graph declares.
	Inputs  []TensorInfo `json:"inputs"`
	Outputs []TensorInfo `json:"outputs"`
}

// FirstGraph is a split pair's first-step graph: the core inputs without a past, its own extra inputs,
// and the main graph's outputs (logits and present.* of the same names and types).
type FirstGraph struct {
	File           string       `json:"file"`
	Extra          []ExtraInput `json:"extra_inputs,omitempty"`
	LogitsLastOnly bool         `json:"logits_last_only,omitempty"`
	LogitsRank     int          `json:"logits_rank"`
	Inputs         []TensorInfo `json:"inputs"`
	Outputs        []TensorInfo `json:"outputs"`
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
		out[i] = TensorInfo{Name: x.Name, Type: elemType(x.DataType), Dims: append([]int64{}, x.Dimensions...)} // a scalar has dims [], as the file says
	}
	return out
}

// expectedContract is the text of what a decoder must look like, for errors.
func expectedContract(n ioNames) string {
	return fmt.Sprintf("expected inputs %s int64 [batch,seq], %s int64 [batch,past+seq], optionally %s int64 [batch,seq], %s / %s float32|float16 [batch,kv_heads,past,head_dim] for each layer, and optionally use_cache_branch bool [1], num_logits_to_keep / logits_to_keep int64 [], cache_position int64 [seq]; outputs %s float32|float16 [batch,seq,vocab] (or [batch,1,vocab]), %s / %s [batch,kv_heads,past+seq,head_dim]",
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
	if t, ok := need(in, n.InputIDs, "input", "int64"); ok {
		c.InputIDs = n.InputIDs
		if len(t.Dims) != 2 {
			fail("input %s: want 2 dimensions [batch,seq]", t)
		} else {
			switch {
			case t.Dims[0] == 1:
				c.MaxRows = 1 // a graph exported for batch 1: rows are run one at a time
			case t.Dims[0] > 1:
				fail("input %s has a fixed batch of %d: the runner feeds any number of rows (or one)", t, t.Dims[0])
			}
			if t.Dims[1] > 0 {
				fail("input %s has a fixed sequence length %d: the runner feeds prompts and single tokens", t, t.Dims[1])
			}
		}
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
		c.Logits, c.LogitsType, c.LogitsRank = n.Logits, lt.Type, len(lt.Dims)
		switch len(lt.Dims) {
		case 3:
			if lt.Dims[2] > 0 {
				c.Vocab = int(lt.Dims[2])
			}
			c.LogitsLastOnly = lt.Dims[1] == 1
		case 2: // [batch, vocab]: the last position's
			if lt.Dims[1] > 0 {
				c.Vocab = int(lt.Dims[1])
			}
			c.LogitsLastOnly = true
		default:
			fail("output %q has %d dimensions, want 3 [batch,seq,vocab] (or 2, [batch,vocab], for the last position's logits)", lt.Name, len(lt.Dims))
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
			if x.kind == "input" && t.Dims[2] > 0 {
				fail("%s %s has a fixed sequence length %d: the runner feeds a past of 0 positions at the first step and one more at each step (a static-cache export is not supported)", x.kind, t, t.Dims[2])
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
		if used[t.Name] {
			continue
		}
		e, ok, problem := matchExtra(t)
		switch {
		case problem != "":
			fail("%s", problem)
		case ok:
			c.Extra = append(c.Extra, e)
			if e.Kind == ExtraLogitsToKeep {
				c.LogitsLastOnly = false
			}
		default:
			fail("unexpected input %s (no value for it is known to be correct)", t)
		}
	}
	for _, e := range c.Extra {
		if e.Kind == ExtraCachePosition && c.PositionIDs == "" {
			fail("input %q without %q: the graph would take positions from cache columns, which padded rows do not share", e.Name, n.PositionIDs)
		}
	}
	if len(problems) > 0 {
		return c, &ContractError{Problems: problems, Inputs: inputs, Outputs: outputs, Expected: expectedContract(n)}
	}
	return c, nil
}

// buildFirstContract matches a split pair's first-step graph (decoder_model.onnx, file) against the main
// graph's contract c: the same core inputs without a past (position_ids if and only if c has them),
// known extra inputs, and logits and present.* outputs of the same names and types.
func buildFirstContract(file string, inputs, outputs []TensorInfo, c Contract, n ioNames) (*FirstGraph, error) {
	f := &FirstGraph{File: file, Inputs: inputs, Outputs: outputs}
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	in := map[string]TensorInfo{}
	for _, t := range inputs {
		in[t.Name] = t
	}
	out := map[string]TensorInfo{}
	for _, t := range outputs {
		out[t.Name] = t
	}
	for _, name := range []string{c.InputIDs, c.AttentionMask} {
		if t, ok := in[name]; !ok || t.Type != "int64" {
			fail("no int64 input %q", name)
		}
	}
	if _, ok := in[n.PositionIDs]; ok != (c.PositionIDs != "") {
		fail("input %q: the first-step graph must take it exactly when the graph with past does", n.PositionIDs)
	}
	for _, t := range inputs {
		switch t.Name {
		case c.InputIDs, c.AttentionMask, c.PositionIDs:
			continue
		}
		e, ok, problem := matchExtra(t)
		switch {
		case problem != "":
			fail("%s", problem)
		case ok:
			f.Extra = append(f.Extra, e)
		default:
			fail("unexpected input %s (a first-step graph takes no past, and no value for it is known to be correct)", t)
		}
	}
	if lt, ok := out[c.Logits]; !ok || lt.Type != c.LogitsType {
		fail("no %s output %q as the graph with past has", c.LogitsType, c.Logits)
	} else {
		f.LogitsRank = len(lt.Dims)
		f.LogitsLastOnly = len(lt.Dims) == 2 || (len(lt.Dims) == 3 && lt.Dims[1] == 1)
		for _, e := range f.Extra {
			if e.Kind == ExtraLogitsToKeep {
				f.LogitsLastOnly = false
			}
		}
	}
	for _, l := range c.Layers {
		for _, name := range []string{l.PresentKey, l.PresentValue} {
			if t, ok := out[name]; !ok || t.Type != c.KVType {
				fail("no %s output %q as the graph with past has", c.KVType, name)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &ContractError{File: file, Problems: problems, Inputs: inputs, Outputs: outputs,
			Expected: "expected the first-step graph of a split pair: the inputs of the graph with past except the past (input_ids, attention_mask, position_ids when it has them), and its logits and present.* outputs"}
	}
	return f, nil
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
