package onnxbuild

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Graph constants.
const (
	irVersion = 8
	opsetVer  = 17
	// maskValue is added to the scores of masked keys. It is finite (float32's lowest value, as
	// Hugging Face uses), so a row whose keys are all masked (a padding query) gets a uniform
	// softmax instead of NaN.
	maskValue = -math.MaxFloat32
)

// Dynamic dimension names, as optimum writes them.
const (
	dimBatch = "batch_size"
	dimSeq   = "sequence_length"
	dimPast  = "past_sequence_length"
	dimTotal = "total_sequence_length"
)

// builder accumulates nodes (into g, the graph being built: the model's graph or a branch of an If)
// and initializers (always into top, the model's graph, where every branch can read them).
type builder struct {
	g     *graph
	top   *graph
	inits map[string]bool // initializer names already in top
	count int
	scope string
}

func (b *builder) name(op string) string {
	b.count++
	return fmt.Sprintf("%s/%s_%d", b.scope, op, b.count)
}

// op adds a node with one output and returns that output's name.
func (b *builder) op(op string, inputs []string, attrs ...attr) string {
	return b.opNamed(op, "", inputs, attrs...)
}

// opNamed adds a node with one output called out ("" picks a fresh name).
func (b *builder) opNamed(op, out string, inputs []string, attrs ...attr) string {
	n := b.name(op)
	if out == "" {
		out = n + "_output"
	}
	b.g.Nodes = append(b.g.Nodes, node{OpType: op, Name: n, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// msOp adds a com.microsoft contrib node with one output.
func (b *builder) msOp(op string, inputs []string, attrs ...attr) string {
	n := b.name(op)
	out := n + "_output_0"
	b.g.Nodes = append(b.g.Nodes, node{OpType: op, Domain: msDomain, Name: n, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// opN adds a node with k outputs.
func (b *builder) opN(op string, inputs []string, k int, attrs ...attr) []string {
	n := b.name(op)
	outs := make([]string, k)
	for i := range outs {
		outs[i] = n + "_output_" + strconv.Itoa(i)
	}
	b.g.Nodes = append(b.g.Nodes, node{OpType: op, Name: n, Inputs: inputs, Outputs: outs, Attrs: attrs})
	return outs
}

// addInit adds an initializer to the model's graph once (both branches of a merged decoder ask for the
// same weights) and returns its name.
func (b *builder) addInit(t *tensor) string {
	if !b.inits[t.Name] {
		b.inits[t.Name] = true
		b.top.Initializers = append(b.top.Initializers, t)
	}
	return t.Name
}

func (b *builder) initF32(name string, data []float32, dims ...int64) string {
	return b.addInit(&tensor{Name: name, DataType: dtFloat, Dims: dims, Raw: float32Raw(data)})
}

func (b *builder) initF16(name string, data []float32, dims ...int64) string {
	return b.addInit(&tensor{Name: name, DataType: dtFloat16, Dims: dims, Raw: float16Raw(data)})
}

func (b *builder) initI64(name string, data []int64, dims ...int64) string {
	return b.addInit(&tensor{Name: name, DataType: dtInt64, Dims: dims, Raw: int64Raw(data)})
}

func aInt(name string, v int64) attr     { return attr{Name: name, Type: attrInt, I: v} }
func aInts(name string, v ...int64) attr { return attr{Name: name, Type: attrInts, Ints: v} }
func aFloat(name string, v float32) attr { return attr{Name: name, Type: attrFloat, F: v} }

// transpose returns the [cols, rows] transpose of the row-major [rows, cols] matrix m.
func transpose(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for r := range rows {
		for c := range cols {
			t[c*rows+r] = m[r*cols+c]
		}
	}
	return t
}

// ropeTables returns cos and sin tables [maxSeq, headDim/2]: angle = pos * theta^(-2i/headDim).
func ropeTables(maxSeq, headDim int, theta float64) (cos, sin []float32) {
	half := headDim / 2
	cos = make([]float32, maxSeq*half)
	sin = make([]float32, maxSeq*half)
	for p := range maxSeq {
		for i := range half {
			a := float64(p) * math.Pow(theta, -float64(2*i)/float64(headDim))
			cos[p*half+i] = float32(math.Cos(a))
			sin[p*half+i] = float32(math.Sin(a))
		}
	}
	return cos, sin
}

// graphKind is which of optimum's decoder graphs buildGraphKind writes.
type graphKind int

const (
	// graphPlain takes past_key_values.* and returns present.* (model.onnx, optimum's
	// decoder_with_past_model.onnx).
	graphPlain graphKind = iota
	// graphNoPast has no past inputs (optimum's decoder_model.onnx, the first step of a split pair).
	graphNoPast
	// graphMerged is optimum's decoder_model_merged.onnx: the past inputs and a bool use_cache_branch [1]
	// input, and an If between a branch that uses the past (true) and one that ignores it (false).
	graphMerged
)

// buildGraph returns the decoder graph for cfg and w (all initializers inline).
func buildGraph(cfg LlamaConfig, w *Weights) (*graph, error) {
	return buildGraphKind(cfg, w, graphPlain)
}

// buildGraphKind returns one of optimum's decoder graphs for cfg and w.
func buildGraphKind(cfg LlamaConfig, w *Weights, kind graphKind) (*graph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := w.Check(cfg); err != nil {
		return nil, err
	}
	if kind != graphPlain && cfg.GenAI {
		return nil, errors.New("onnxbuild: optimum's merged and split decoders have the optimum layout, not genai's")
	}
	g := &graph{Name: "acoer_llama"}
	b := &builder{g: g, top: g, scope: "/model", inits: map[string]bool{}}
	g.Inputs, g.Outputs = ioDecl(cfg, kind)
	switch kind {
	case graphPlain, graphNoPast:
		b.decoder(cfg, w, kind == graphPlain, func(s string) string { return s })
	case graphMerged:
		var branches [2]*graph
		for i, withPast := range []bool{true, false} {
			prefix := "with_past/"
			if !withPast {
				prefix = "no_past/"
			}
			sub := &graph{Name: strings.TrimSuffix(prefix, "/") + "_branch"}
			b.g = sub
			outs := b.decoder(cfg, w, withPast, func(s string) string { return prefix + s })
			for j, o := range outs {
				sub.Outputs = append(sub.Outputs, valueInfo{Name: o, DataType: g.Outputs[j].DataType})
			}
			branches[i] = sub
		}
		b.g, b.scope = g, "/model"
		var outs []string
		for _, o := range g.Outputs {
			outs = append(outs, o.Name)
		}
		g.Nodes = append(g.Nodes, node{OpType: "If", Name: "/model/use_cache_branch/If", Inputs: []string{"use_cache_branch"}, Outputs: outs,
			Attrs: []attr{{Name: "then_branch", Type: attrGraph, Graph: branches[0]}, {Name: "else_branch", Type: attrGraph, Graph: branches[1]}}})
	}
	pruneInitializers(g)
	return g, nil
}

// logitsType is the element type of the logits output.
func logitsType(cfg LlamaConfig) int {
	if cfg.LogitsFloat16 {
		return dtFloat16
	}
	return dtFloat
}

// ioDecl declares the graph's inputs and outputs, in the order optimum writes them.
func ioDecl(cfg LlamaConfig, kind graphKind) (inputs, outputs []valueInfo) {
	D := func(p string) dim { return dim{Param: p} }
	KV, hd, V := int64(cfg.KVHeads), int64(cfg.HeadDim()), int64(cfg.VocabSize)
	kvType := dtFloat
	if cfg.KVFloat16 {
		kvType = dtFloat16
	}
	inputs = append(inputs,
		valueInfo{"input_ids", dtInt64, []dim{D(dimBatch), D(dimSeq)}},
		valueInfo{"attention_mask", dtInt64, []dim{D(dimBatch), D(dimTotal)}},
	)
	if !cfg.NoPositionIDs && !cfg.GenAI {
		inputs = append(inputs, valueInfo{"position_ids", dtInt64, []dim{D(dimBatch), D(dimSeq)}})
	}
	if cfg.CachePosition {
		inputs = append(inputs, valueInfo{"cache_position", dtInt64, []dim{D(dimSeq)}})
	}
	if cfg.LogitsToKeep != "" {
		inputs = append(inputs, valueInfo{cfg.LogitsToKeep, dtInt64, []dim{}})
	}
	logitsSeq := D(dimSeq)
	switch {
	case cfg.LastLogitsOnly:
		logitsSeq = dim{Value: 1}
	case cfg.LogitsToKeep != "":
		logitsSeq = D("logits_sequence_length")
	}
	outputs = append(outputs, valueInfo{"logits", logitsType(cfg), []dim{D(dimBatch), logitsSeq, {Value: V}}})
	presentSeq := D(dimTotal)
	if kind == graphNoPast {
		presentSeq = D(dimSeq)
	}
	for i := range cfg.Layers {
		for _, kv := range []string{"key", "value"} {
			if kind != graphNoPast {
				inputs = append(inputs, valueInfo{fmt.Sprintf("past_key_values.%d.%s", i, kv), kvType,
					[]dim{D(dimBatch), {Value: KV}, D(dimPast), {Value: hd}}})
			}
			outputs = append(outputs, valueInfo{fmt.Sprintf("present.%d.%s", i, kv), kvType,
				[]dim{D(dimBatch), {Value: KV}, presentSeq, {Value: hd}}})
		}
	}
	if kind == graphMerged {
		inputs = append(inputs, valueInfo{"use_cache_branch", dtBool, []dim{{Value: 1}}})
	}
	return inputs, outputs
}

// decoder adds the decoder's nodes to b.g: from input_ids (and the past when withPast) to the logits and
// the present cache, whose output names name(logits), name(present.i.key), ... it returns in that
// order.
func (b *builder) decoder(cfg LlamaConfig, w *Weights, withPast bool, name func(string) string) []string {
	D, KV, H, hd, V := int64(cfg.Dim), int64(cfg.KVHeads), int64(cfg.Heads), int64(cfg.HeadDim()), int64(cfg.VocabSize)
	rep := H / KV
	b.scope = "/model"
	var outs []string

	// Shared constants.
	one := b.initI64("const_one", []int64{1})
	zero := b.initI64("const_zero", []int64{0})
	idx1 := b.initI64("const_index_1", []int64{1})
	axes0 := b.initI64("const_axes_0", []int64{0}, 1)
	axes1 := b.initI64("const_axes_1", []int64{1}, 1)
	axes2 := b.initI64("const_axes_2", []int64{2}, 1)
	axes12 := b.initI64("const_axes_1_2", []int64{1, 2}, 2)
	axes24 := b.initI64("const_axes_2_4", []int64{2, 4}, 2)
	zeroF := b.initF32("const_zero_f", []float32{0})
	maskF := b.initF32("const_mask_value", []float32{maskValue})
	epsF := b.initF32("const_norm_eps", []float32{float32(cfg.NormEps)})
	twoF := b.initF32("const_two", []float32{2})
	scaleF := b.initF32("const_attn_scale", []float32{float32(1 / math.Sqrt(float64(hd)))})
	shapeQ := b.initI64("const_shape_q", []int64{0, 0, H, hd}, 4)
	shapeKV := b.initI64("const_shape_kv", []int64{0, 0, KV, hd}, 4)
	shapeGQA := b.initI64("const_shape_gqa", []int64{0, KV, rep, -1, hd}, 5)
	shapeHeads := b.initI64("const_shape_heads", []int64{0, H, -1, hd}, 4)
	shapeHidden := b.initI64("const_shape_hidden", []int64{0, 0, D}, 3)
	shapePairsQ := b.initI64("const_shape_pairs_q", []int64{0, 0, H, hd / 2, 2}, 5)
	shapePairsKV := b.initI64("const_shape_pairs_kv", []int64{0, 0, KV, hd / 2, 2}, 5)
	cosT, sinT := ropeTables(cfg.MaxSeqLen, cfg.HeadDim(), cfg.RopeTheta)
	cosName, sinName := "rotary.cos_table", "rotary.sin_table"
	if cfg.GenAI {
		cosName, sinName = "cos_cache", "sin_cache" // the genai builder's names
	}
	cosTab := b.initF32(cosName, cosT, int64(cfg.MaxSeqLen), hd/2)
	sinTab := b.initF32(sinName, sinT, int64(cfg.MaxSeqLen), hd/2)

	// Attention bias [B,1,1,S,T] and rotary tables at the given positions (standard graph), or the
	// inputs GroupQueryAttention takes instead (genai graph).
	var bias string
	var rope func(x, pairsShape, headsShape string) string
	var gqa gqaInputs
	if cfg.GenAI {
		gqa = b.gqaInputs(idx1, axes1, cosTab, sinTab)
	} else {
		// Attention bias [B,1,1,S,T]: 0 where key j may be seen by query i (j <= past+i, or j <=
		// cache_position[i] when the graph takes one, and attention_mask[b,j] != 0), maskValue elsewhere.
		b.scope = "/model/mask"
		total := b.op("Gather", []string{b.op("Shape", []string{"attention_mask"}), idx1}, aInt("axis", 0))
		seq := b.op("Gather", []string{b.op("Shape", []string{"input_ids"}), idx1}, aInt("axis", 0))
		past := b.op("Sub", []string{total, seq})
		keyIdx := b.op("Range", []string{zero, total, one})
		var qIdx string
		if cfg.CachePosition {
			qIdx = b.op("Unsqueeze", []string{"cache_position", axes1})
		} else {
			qIdx = b.op("Unsqueeze", []string{b.op("Range", []string{past, total, one}), axes1})
		}
		causal := b.op("LessOrEqual", []string{keyIdx, qIdx})                                                    // [S,T]
		keep := b.op("Unsqueeze", []string{b.op("Cast", []string{"attention_mask"}, aInt("to", dtBool)), axes1}) // [B,1,T]
		allowed := b.op("And", []string{causal, keep})                                                           // [B,S,T]
		bias = b.op("Unsqueeze", []string{b.op("Where", []string{allowed, zeroF, maskF}), axes12})               // [B,1,1,S,T]

		// Rotary tables at the given positions.
		b.scope = "/model/rotary"
		positions := "position_ids"
		if cfg.NoPositionIDs {
			// positions = max(cumsum(attention_mask) - 1, 0)[:, past:total]
			cs := b.op("CumSum", []string{"attention_mask", b.initI64("const_axis_1", []int64{1})})
			all := b.op("Max", []string{b.op("Sub", []string{cs, one}), zero})
			positions = b.op("Slice", []string{all, b.op("Unsqueeze", []string{past, axes0}),
				b.op("Unsqueeze", []string{total, axes0}), axes1})
		}
		cosP := b.op("Gather", []string{cosTab, positions}, aInt("axis", 0)) // [B,S,hd/2]
		sinP := b.op("Gather", []string{sinTab, positions}, aInt("axis", 0))
		ropeAxes := axes2
		if cfg.RopeInterleaved {
			ropeAxes = axes24
		}
		cosP = b.op("Unsqueeze", []string{cosP, ropeAxes}) // [B,S,1,hd/2] or [B,S,1,hd/2,1]
		sinP = b.op("Unsqueeze", []string{sinP, ropeAxes})
		rope = func(x, pairsShape, headsShape string) string {
			if cfg.RopeInterleaved {
				x5 := b.op("Reshape", []string{x, pairsShape}) // [B,S,n,hd/2,2]
				p := b.opN("Split", []string{x5}, 2, aInt("axis", -1))
				o0 := b.op("Sub", []string{b.op("Mul", []string{p[0], cosP}), b.op("Mul", []string{p[1], sinP})})
				o1 := b.op("Add", []string{b.op("Mul", []string{p[0], sinP}), b.op("Mul", []string{p[1], cosP})})
				return b.op("Reshape", []string{b.op("Concat", []string{o0, o1}, aInt("axis", -1)), headsShape})
			}
			p := b.opN("Split", []string{x}, 2, aInt("axis", -1)) // halves [B,S,n,hd/2]
			o0 := b.op("Sub", []string{b.op("Mul", []string{p[0], cosP}), b.op("Mul", []string{p[1], sinP})})
			o1 := b.op("Add", []string{b.op("Mul", []string{p[1], cosP}), b.op("Mul", []string{p[0], sinP})})
			return b.op("Concat", []string{o0, o1}, aInt("axis", -1))
		}
	}
	rmsnorm := func(x, weightName string, weight []float32) string {
		ms := b.op("ReduceMean", []string{b.op("Pow", []string{x, twoF})}, aInts("axes", -1), aInt("keepdims", 1))
		r := b.op("Sqrt", []string{b.op("Add", []string{ms, epsF})})
		return b.op("Mul", []string{b.op("Div", []string{x, r}), b.vector(cfg, weightName, weight)})
	}

	b.scope = "/model/embed_tokens"
	var embed string // the float32 table, when the lm_head can share it
	var h string
	if cfg.Quant == "" {
		embed = b.initF32("model.embed_tokens.weight", w.Embed, V, D)
		h = b.op("Gather", []string{embed, "input_ids"}, aInt("axis", 0)) // [B,S,D]
	} else {
		h = b.embedding(cfg, "model.embed_tokens.weight", w.Embed)
	}

	d, kvd, hid := cfg.Dim, cfg.KVDim(), cfg.HiddenDim
	for i, l := range w.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		b.scope = fmt.Sprintf("/model/layers.%d/self_attn", i)
		x := rmsnorm(h, p+"input_layernorm.weight", l.AttnNorm)
		if cfg.GenAI {
			b.scope = fmt.Sprintf("/model/layers.%d/attn", i)
			// One packed MatMul [D, d+2*kvd] (Q, K, V columns), as the genai builder makes for
			// unquantized weights; GroupQueryAttention splits it (key and value inputs left empty).
			packed := make([]float32, 0, (d+2*kvd)*d)
			packed = append(append(append(packed, l.WQ...), l.WK...), l.WV...)
			qkv := b.linear(cfg, x, p+"attn.qkv_proj.weight_t", packed, d+2*kvd, d)
			ctx := b.groupQueryAttention(cfg, gqa, qkv, i)
			h = b.op("Add", []string{h, b.linear(cfg, ctx, p+"attn.o_proj.weight_t", l.WO, d, d)})
		} else {
			q := b.op("Reshape", []string{b.linear(cfg, x, p+"self_attn.q_proj.weight_t", l.WQ, d, d), shapeQ})
			k := b.op("Reshape", []string{b.linear(cfg, x, p+"self_attn.k_proj.weight_t", l.WK, kvd, d), shapeKV})
			v := b.op("Reshape", []string{b.linear(cfg, x, p+"self_attn.v_proj.weight_t", l.WV, kvd, d), shapeKV})
			q = b.op("Transpose", []string{rope(q, shapePairsQ, shapeQ)}, aInts("perm", 0, 2, 1, 3)) // [B,H,S,hd]
			k = b.op("Transpose", []string{rope(k, shapePairsKV, shapeKV)}, aInts("perm", 0, 2, 1, 3))
			v = b.op("Transpose", []string{v}, aInts("perm", 0, 2, 1, 3)) // [B,KV,S,hd]
			cache := func(x, kind string) string {
				in := fmt.Sprintf("past_key_values.%d.%s", i, kind)
				out := name(fmt.Sprintf("present.%d.%s", i, kind))
				outs = append(outs, out)
				join := func(x string) string {
					if withPast {
						return b.opNamed("Concat", out, []string{in, x}, aInt("axis", 2))
					}
					return b.opNamed("Identity", out, []string{x})
				}
				if !cfg.KVFloat16 {
					return join(x)
				}
				all := join(b.op("Cast", []string{x}, aInt("to", dtFloat16)))
				return b.op("Cast", []string{all}, aInt("to", dtFloat))
			}
			kAll := b.op("Unsqueeze", []string{cache(k, "key"), axes2}) // [B,KV,1,T,hd]
			vAll := b.op("Unsqueeze", []string{cache(v, "value"), axes2})
			qg := b.op("Reshape", []string{q, shapeGQA}) // [B,KV,rep,S,hd]: query head h uses kv head h/rep
			scores := b.op("MatMul", []string{qg, b.op("Transpose", []string{kAll}, aInts("perm", 0, 1, 2, 4, 3))})
			scores = b.op("Add", []string{b.op("Mul", []string{scores, scaleF}), bias}) // [B,KV,rep,S,T]
			probs := b.op("Softmax", []string{scores}, aInt("axis", -1))
			ctx := b.op("Reshape", []string{b.op("MatMul", []string{probs, vAll}), shapeHeads}) // [B,H,S,hd]
			ctx = b.op("Reshape", []string{b.op("Transpose", []string{ctx}, aInts("perm", 0, 2, 1, 3)), shapeHidden})
			h = b.op("Add", []string{h, b.linear(cfg, ctx, p+"self_attn.o_proj.weight_t", l.WO, d, d)})
		}

		b.scope = fmt.Sprintf("/model/layers.%d/mlp", i)
		x = rmsnorm(h, p+"post_attention_layernorm.weight", l.FFNNorm)
		gate := b.linear(cfg, x, p+"mlp.gate_proj.weight_t", l.W1, hid, d)
		up := b.linear(cfg, x, p+"mlp.up_proj.weight_t", l.W3, hid, d)
		act := b.op("Mul", []string{b.op("Mul", []string{gate, b.op("Sigmoid", []string{gate})}), up})
		h = b.op("Add", []string{h, b.linear(cfg, act, p+"mlp.down_proj.weight_t", l.W2, d, hid)})
	}
	if cfg.GenAI {
		for i := range cfg.Layers {
			outs = append(outs, fmt.Sprintf("present.%d.key", i), fmt.Sprintf("present.%d.value", i))
		}
	}

	b.scope = "/model/norm"
	h = rmsnorm(h, "model.norm.weight", w.FinalNorm)
	// Only the positions whose logits the graph returns: the last one, or the last logits_to_keep (0 =
	// all, as transformers' num_logits_to_keep).
	b.scope = "/model/logits_to_keep"
	end := b.initI64("const_int64_max", []int64{math.MaxInt64}, 1)
	switch {
	case cfg.LastLogitsOnly:
		h = b.op("Slice", []string{h, b.initI64("const_minus_one_1d", []int64{-1}, 1), end, axes1})
	case cfg.LogitsToKeep != "":
		start := b.op("Unsqueeze", []string{b.op("Neg", []string{cfg.LogitsToKeep}), axes0})
		h = b.op("Slice", []string{h, start, end, axes1})
	}
	b.scope = "/lm_head"
	var lg string
	switch {
	case cfg.Quant == "" && cfg.TieEmbeddings:
		head := b.op("Transpose", []string{embed}, aInts("perm", 1, 0)) // [D,V], folded by ORT at load
		lg = b.op("MatMul", []string{h, head})
	case cfg.Quant == "":
		lg = b.op("MatMul", []string{h, b.initF32("lm_head.weight_t", transpose(w.LMHead, cfg.VocabSize, d), D, V)})
	default:
		headW := w.LMHead
		if cfg.TieEmbeddings {
			headW = w.Embed
		}
		lg = b.linear(cfg, h, "lm_head.weight_t", headW, cfg.VocabSize, d)
	}
	if w.LMHeadBias != nil {
		lg = b.op("Add", []string{lg, b.vector(cfg, "lm_head.bias", w.LMHeadBias)})
	}
	logits := name("logits")
	if cfg.LogitsFloat16 {
		b.opNamed("Cast", logits, []string{lg}, aInt("to", dtFloat16))
	} else {
		last := &b.g.Nodes[len(b.g.Nodes)-1] // the node that made lg: its output becomes the graph's logits
		last.Outputs[0] = logits
	}
	return append([]string{logits}, outs...)
}

// pruneInitializers drops the initializers no node reads (the shared constants one graph variant
// does not use), so ONNX Runtime has nothing to warn about.
func pruneInitializers(g *graph) {
	used := map[string]bool{}
	var walk func(g *graph)
	walk = func(g *graph) {
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				used[in] = true
			}
			for _, a := range n.Attrs {
				if a.Graph != nil {
					walk(a.Graph) // a branch reads the model's initializers from the outer scope
				}
			}
		}
	}
	walk(g)
	kept := g.Initializers[:0]
	for _, t := range g.Initializers {
		if used[t.Name] {
			kept = append(kept, t)
		}
	}
	g.Initializers = kept
}

// gqaInputs are the graph-level inputs of every GroupQueryAttention node.
type gqaInputs struct {
	seqlensK string // int32 [batch]: attention_mask's row sums - 1 (each row's total length - 1)
	totalLen string // int32 scalar: attention_mask's width (past + new)
	cos, sin string // [max_seq, head_dim/2]
}

// gqaInputs builds the genai builder's attention-mask subgraph for GroupQueryAttention:
//
//	seqlens_k = Cast<int32>(ReduceSum(attention_mask, axes=[1], keepdims=0) - 1)
//	total_sequence_length = Cast<int32>(Shape(attention_mask)[1])
func (b *builder) gqaInputs(idx1, axes1, cos, sin string) gqaInputs {
	b.scope = "/model/attn_mask_reformat/attn_mask_subgraph"
	sum := b.op("ReduceSum", []string{"attention_mask", axes1}, aInt("keepdims", 0))
	sub := b.op("Sub", []string{sum, b.initI64("const_one_1d", []int64{1}, 1)})
	seqlens := b.op("Cast", []string{sub}, aInt("to", dtInt32))
	width := b.op("Gather", []string{b.op("Shape", []string{"attention_mask"}), idx1}, aInt("axis", 0))
	total := b.op("Cast", []string{width}, aInt("to", dtInt32))
	return gqaInputs{seqlensK: seqlens, totalLen: total, cos: cos, sin: sin}
}

// groupQueryAttention adds layer i's com.microsoft GroupQueryAttention node, wired as the genai
// builder wires it: packed Q/K/V in the query input, key and value empty, past_key_values.i.* in,
// present.i.* out, rotary inside. It returns the attention output [batch, seq, dim].
func (b *builder) groupQueryAttention(cfg LlamaConfig, in gqaInputs, qkv string, i int) string {
	name := b.name("GroupQueryAttention")
	out := name + "_output_0"
	interleaved := int64(0)
	if cfg.RopeInterleaved {
		interleaved = 1
	}
	b.g.Nodes = append(b.g.Nodes, node{
		OpType: "GroupQueryAttention", Domain: msDomain, Name: name,
		Inputs: []string{qkv, "", "",
			fmt.Sprintf("past_key_values.%d.key", i), fmt.Sprintf("past_key_values.%d.value", i),
			in.seqlensK, in.totalLen, in.cos, in.sin},
		Outputs: []string{out, fmt.Sprintf("present.%d.key", i), fmt.Sprintf("present.%d.value", i)},
		Attrs: []attr{
			aInt("num_heads", int64(cfg.Heads)),
			aInt("kv_num_heads", int64(cfg.KVHeads)),
			aFloat("scale", float32(1/math.Sqrt(float64(cfg.HeadDim())))),
			aInt("local_window_size", -1),
			aFloat("softcap", 0),
			aInt("do_rotary", 1),
			aInt("rotary_interleaved", interleaved),
		},
	})
	return out
}
