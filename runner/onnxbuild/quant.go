package onnxbuild

import (
	"fmt"
	"math"
	"slices"
)

// Weight storage kinds (LlamaConfig.Quant), named after the transformers.js variants that store weights
// that way (onnx/model_fp16.onnx, model_q4.onnx, ...). Each keeps the decoder's I/O contract; what
// changes is how the weights are stored and which operators read them. ExportedWeights gives the float32
// weights each kind computes with.
const (
	// QuantFP16 stores every weight (embeddings, projections, norms, lm_head) as float16; the graph casts
	// them to float32 and computes in float32.
	QuantFP16 = "fp16"
	// QuantQ4 stores the projections and the lm_head as com.microsoft MatMulNBits weights (4-bit codes in
	// blocks of 32 along K, float32 scales, default zero point 8) and the embedding table as
	// com.microsoft GatherBlockQuantized data (the same 4-bit blocks along the hidden dimension). Norms
	// stay float32.
	QuantQ4 = "q4"
	// QuantQ4F16 is QuantQ4 with float16 scales: MatMulNBits and GatherBlockQuantized run in float16 (the
	// graph casts activations to float16 around them).
	QuantQ4F16 = "q4f16"
	// QuantInt8 stores projections and lm_head as int8 with one float32 scale per output channel
	// (symmetric, zero point 0) and the embedding as int8 with one scale, each read through ONNX's
	// DequantizeLinear.
	QuantInt8 = "int8"
	// QuantUint8 is QuantInt8 with uint8 codes and a zero point per output channel (asymmetric, min/max).
	QuantUint8 = "uint8"
	// QuantQ8 is what ONNX Runtime's quantize_dynamic writes (transformers.js's model_quantized.onnx,
	// dtype q8): int8 projection and lm_head weights with a scale per output channel, and activations
	// quantized at run time with one scale for the whole tensor (DynamicQuantizeLinear -> MatMulInteger
	// -> Cast -> Mul). The embedding is stored as in QuantInt8. A row's activations share their scale
	// with the rows batched with it, so such a graph's results depend on the batch.
	QuantQ8 = "q8"
	// QuantBnb4 stores the projections and the lm_head as com.microsoft MatMulBnb4 weights (bitsandbytes'
	// NF4: the [out, in] matrix flattened, blocks of 64 values with a float32 absmax each, two codes a
	// byte, high nibble first), as transformers.js's model_bnb4.onnx; the embedding stays float32.
	QuantBnb4 = "bnb4"
)

// bnb4Block is the block size of the bnb4 kind (bitsandbytes' default).
const bnb4Block = 64

// nf4Values are bitsandbytes' NF4 code values (ONNX Runtime's nf4_qaunt_map).
var nf4Values = [16]float32{-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
	-0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0, 0.07958029955625534,
	0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434,
	0.5626170039176941, 0.7229568362236023, 1.0}

// quantizeNF4 quantizes the flattened row-major [out, in] matrix m in blocks of bnb4Block: each value
// becomes the NF4 code nearest to value/absmax. It returns the packed codes, the absmax of each block and
// the dequantized matrix (nf4[code] * absmax, as MatMulBnb4 computes it).
func quantizeNF4(m []float32) (packed []byte, absmax, deq []float32) {
	n := len(m)
	blocks := (n + bnb4Block - 1) / bnb4Block
	packed = make([]byte, (n+1)/2)
	absmax = make([]float32, blocks)
	deq = make([]float32, n)
	for bl := range blocks {
		lo, hi := bl*bnb4Block, min((bl+1)*bnb4Block, n)
		var a float32
		for _, v := range m[lo:hi] {
			a = max(a, float32(math.Abs(float64(v))))
		}
		absmax[bl] = a
		for i := lo; i < hi; i++ {
			x := float32(0)
			if a > 0 {
				x = m[i] / a
			}
			best := 0
			for c, v := range nf4Values {
				if math.Abs(float64(x-v)) < math.Abs(float64(x-nf4Values[best])) {
					best = c
				}
			}
			deq[i] = nf4Values[best] * a
			if i%2 == 0 {
				packed[i/2] |= byte(best) << 4
			} else {
				packed[i/2] |= byte(best)
			}
		}
	}
	return packed, absmax, deq
}

// QuantKinds lists the storage kinds LlamaConfig.Quant accepts ("" is float32).
func QuantKinds() []string {
	return []string{QuantFP16, QuantQ4, QuantQ4F16, QuantInt8, QuantUint8, QuantQ8, QuantBnb4}
}

// vector adds a float32 vector weight (a norm's gain, a bias): float16 in the fp16 kind.
func (b *builder) vector(cfg LlamaConfig, name string, v []float32) string {
	if cfg.Quant == QuantFP16 {
		return b.op("Cast", []string{b.initF16(name, v, int64(len(v)))}, aInt("to", dtFloat))
	}
	return b.initF32(name, v, int64(len(v)))
}

// embedding adds the token embedding lookup of input_ids for a quantized kind: [B,S,D] float32.
func (b *builder) embedding(cfg LlamaConfig, name string, table []float32) string {
	V, D := cfg.VocabSize, cfg.Dim
	switch cfg.Quant {
	case QuantBnb4:
		return b.op("Gather", []string{b.initF32(name, table, int64(V), int64(D)), "input_ids"}, aInt("axis", 0))
	case QuantFP16:
		g := b.op("Gather", []string{b.initF16(name, table, int64(V), int64(D)), "input_ids"}, aInt("axis", 0))
		return b.op("Cast", []string{g}, aInt("to", dtFloat))
	case QuantQ4, QuantQ4F16:
		codes, scales := quantizeRowsInt4(table, V, D)
		blocks := int64(len(scales) / V)
		data := b.addInit(&tensor{Name: name + ".q4", DataType: dtUint8, Dims: []int64{int64(V), int64(D / 2)}, Raw: codes})
		var sc string
		if cfg.Quant == QuantQ4F16 {
			sc = b.initF16(name+".scales", scales, int64(V), blocks)
		} else {
			sc = b.initF32(name+".scales", scales, int64(V), blocks)
		}
		out := b.msOp("GatherBlockQuantized", []string{data, "input_ids", sc},
			aInt("gather_axis", 0), aInt("quantize_axis", 1), aInt("block_size", int4Block), aInt("bits", 4))
		if cfg.Quant == QuantQ4F16 {
			out = b.op("Cast", []string{out}, aInt("to", dtFloat))
		}
		return out
	case QuantInt8, QuantUint8, QuantQ8:
		q, scale, zp := quantizeTensor8(table, cfg.Quant == QuantUint8)
		dt := dtInt8
		if cfg.Quant == QuantUint8 {
			dt = dtUint8
		}
		data := b.addInit(&tensor{Name: name + ".q8", DataType: dt, Dims: []int64{int64(V), int64(D)}, Raw: q})
		sc := b.initF32(name+".scale", []float32{scale})
		z := b.addInit(&tensor{Name: name + ".zero_point", DataType: dt, Raw: []byte{zp}})
		g := b.op("Gather", []string{data, "input_ids"}, aInt("axis", 0))
		return b.op("DequantizeLinear", []string{g, sc, z})
	}
	panic("onnxbuild: embedding of unknown kind " + cfg.Quant)
}

// linear adds x @ m^T for the row-major [out, in] matrix m, stored as cfg's kind says.
func (b *builder) linear(cfg LlamaConfig, x, name string, m []float32, out, in int) string {
	O, I := int64(out), int64(in)
	switch {
	case cfg.Quant == "" && !cfg.Int4:
		return b.op("MatMul", []string{x, b.initF32(name, transpose(m, out, in), I, O)})
	case cfg.Quant == QuantFP16:
		w := b.op("Cast", []string{b.initF16(name, transpose(m, out, in), I, O)}, aInt("to", dtFloat))
		return b.op("MatMul", []string{x, w})
	case cfg.Int4 || cfg.Quant == QuantQ4 || cfg.Quant == QuantQ4F16:
		// com.microsoft MatMulNBits (4 bits, block 32, default zero point 8), as genai's int4 models and
		// transformers.js's q4 variants.
		q, sc, _ := quantizeInt4(m, out, in)
		blocks := int64((in + int4Block - 1) / int4Block)
		w := b.addInit(&tensor{Name: name + ".q4", DataType: dtUint8, Dims: []int64{O, blocks, int4Block / 2}, Raw: q})
		attrs := []attr{aInt("K", I), aInt("N", O), aInt("bits", 4), aInt("block_size", int4Block)}
		if cfg.Quant == QuantQ4F16 {
			s := b.initF16(name+".scales", sc, O*blocks)
			y := b.msOp("MatMulNBits", []string{b.op("Cast", []string{x}, aInt("to", dtFloat16)), w, s}, attrs...)
			return b.op("Cast", []string{y}, aInt("to", dtFloat))
		}
		return b.msOp("MatMulNBits", []string{x, w, b.initF32(name+".scales", sc, O*blocks)}, attrs...)
	case cfg.Quant == QuantBnb4:
		q, absmax, _ := quantizeNF4(m)
		w := b.addInit(&tensor{Name: name + ".bnb4", DataType: dtUint8, Dims: []int64{int64(len(q))}, Raw: q})
		a := b.initF32(name+".absmax", absmax, int64(len(absmax)))
		return b.msOp("MatMulBnb4", []string{x, w, a}, aInt("K", I), aInt("N", O), aInt("block_size", bnb4Block), aInt("quant_type", 1))
	case cfg.Quant == QuantQ8:
		q, scales, zps := quantizeChannels8(m, out, in, false)
		w := b.addInit(&tensor{Name: name + ".q8", DataType: dtInt8, Dims: []int64{I, O}, Raw: q})
		wz := b.addInit(&tensor{Name: name + ".zero_points", DataType: dtInt8, Dims: []int64{O}, Raw: zps})
		ws := b.initF32(name+".scales", scales, O)
		xq := b.opN("DynamicQuantizeLinear", []string{x}, 3) // uint8 codes, scale, zero point of the whole tensor
		y := b.op("MatMulInteger", []string{xq[0], w, xq[2], wz})
		return b.op("Mul", []string{b.op("Cast", []string{y}, aInt("to", dtFloat)), b.op("Mul", []string{xq[1], ws})})
	case cfg.Quant == QuantInt8 || cfg.Quant == QuantUint8:
		unsigned := cfg.Quant == QuantUint8
		q, scales, zps := quantizeChannels8(m, out, in, unsigned)
		dt := dtInt8
		if unsigned {
			dt = dtUint8
		}
		w := b.addInit(&tensor{Name: name + ".q8", DataType: dt, Dims: []int64{I, O}, Raw: q})
		s := b.initF32(name+".scales", scales, O)
		z := b.addInit(&tensor{Name: name + ".zero_points", DataType: dt, Dims: []int64{O}, Raw: zps})
		return b.op("MatMul", []string{x, b.op("DequantizeLinear", []string{w, s, z}, aInt("axis", 1))})
	}
	panic("onnxbuild: linear of unknown kind " + cfg.Quant)
}

// quantizeRowsInt4 quantizes the row-major [rows, cols] table as GatherBlockQuantized reads it (bits 4,
// uint8 data, no zero points: code - 8): blocks of int4Block along each row, codes packed low nibble
// first, [rows, cols/2] bytes, and scales [rows, ceil(cols/int4Block)]. The codes and scales are those of
// quantizeInt4.
func quantizeRowsInt4(m []float32, rows, cols int) (packed []byte, scales []float32) {
	padded, scales, _ := quantizeInt4(m, rows, cols)
	blocks := (cols + int4Block - 1) / int4Block
	packed = make([]byte, 0, rows*cols/2)
	for r := range rows {
		row := padded[r*blocks*int4Block/2:]
		packed = append(packed, row[:cols/2]...)
	}
	return packed, scales
}

// quantizeChannels8 quantizes the row-major [out, in] matrix m per output channel (row) into 8-bit codes
// stored transposed, [in, out], as DequantizeLinear(axis=1) reads a MatMul weight: symmetric int8
// (scale max|w|/127, zero point 0) or asymmetric uint8 (scale (max-min)/255 over a range that includes
// 0, zero point round(-min/scale)).
func quantizeChannels8(m []float32, out, in int, unsigned bool) (codes []byte, scales []float32, zps []byte) {
	codes = make([]byte, out*in)
	scales = make([]float32, out)
	zps = make([]byte, out)
	for r := range out {
		row := m[r*in : (r+1)*in]
		q, s, z := quantize8(row, unsigned)
		scales[r], zps[r] = s, z
		for c, v := range q {
			codes[c*out+r] = v
		}
	}
	return codes, scales, zps
}

// quantizeTensor8 quantizes m with one scale and zero point (as quantize8).
func quantizeTensor8(m []float32, unsigned bool) (codes []byte, scale float32, zp byte) {
	return quantize8(m, unsigned)
}

// quantize8 quantizes v with one scale and zero point: symmetric int8 or asymmetric uint8.
func quantize8(v []float32, unsigned bool) (codes []byte, scale float32, zp byte) {
	lo, hi := float32(0), float32(0)
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	codes = make([]byte, len(v))
	if !unsigned {
		amax := max(-lo, hi)
		scale = amax / 127
		if scale == 0 {
			scale = 1
		}
		for i, x := range v {
			q := min(max(math.Round(float64(x/scale)), -127), 127)
			codes[i] = byte(int8(q))
		}
		return codes, scale, 0
	}
	scale = (hi - lo) / 255
	if scale == 0 {
		scale = 1
	}
	z := min(max(math.Round(float64(-lo/scale)), 0), 255)
	for i, x := range v {
		q := min(max(math.Round(float64(x/scale))+z, 0), 255)
		codes[i] = byte(q)
	}
	return codes, scale, byte(z)
}

// dequant8 is what DequantizeLinear computes from a code: float32(code - zero point) * scale.
func dequant8(code, zp byte, scale float32, unsigned bool) float32 {
	if unsigned {
		return float32(int32(code)-int32(zp)) * scale
	}
	return float32(int32(int8(code))-int32(int8(zp))) * scale
}

// ExportedWeights returns the float32 configuration and weights that the graph of cfg and w computes
// with, as a plain float32 decoder (cfg.Quant and cfg.Int4 cleared; an untied lm_head when the kind
// stores the head apart from the embedding): each weight replaced by its round trip through the kind's
// storage (float16, or the quantizer's codes and scales). The float32 graph of the returned pair gives
// the same greedy tokens as the quantized one (exactly the same logits for fp16, int8 and uint8, whose
// dequantization is exact in float32; MatMulNBits accumulates in its own order), and Reference on it is
// the quantized graph's reference. KV and logits types are kept. q4f16 also computes in float16 around
// its MatMulNBits, and q8 quantizes activations, which no float32 graph reproduces exactly.
func ExportedWeights(cfg LlamaConfig, w *Weights) (LlamaConfig, *Weights) {
	out := cloneWeights(w)
	d, kvd, hid, V := cfg.Dim, cfg.KVDim(), cfg.HiddenDim, cfg.VocabSize
	var mat func(m []float32, n, k int) []float32 // a projection or lm_head [n, k]
	var table func(m []float32, n, k int) []float32
	var vec func(v []float32) []float32
	id := func(m []float32, _, _ int) []float32 { return m }
	switch {
	case cfg.Quant == QuantFP16:
		mat = func(m []float32, _, _ int) []float32 { return roundHalf(m) }
		table, vec = mat, roundHalf
	case cfg.Int4 && cfg.Quant == "":
		mat = func(m []float32, n, k int) []float32 { _, _, deq := quantizeInt4(m, n, k); return deq }
		table = id
	case cfg.Quant == QuantQ4:
		mat = func(m []float32, n, k int) []float32 { _, _, deq := quantizeInt4(m, n, k); return deq }
		table = mat
	case cfg.Quant == QuantQ4F16:
		mat = func(m []float32, n, k int) []float32 { return dequantInt4F16(m, n, k) }
		table = mat
	case cfg.Quant == QuantBnb4:
		mat = func(m []float32, _, _ int) []float32 { _, _, deq := quantizeNF4(m); return deq }
		table = id
	case cfg.Quant == QuantInt8 || cfg.Quant == QuantUint8 || cfg.Quant == QuantQ8:
		unsigned := cfg.Quant == QuantUint8
		mat = func(m []float32, n, k int) []float32 {
			r := make([]float32, len(m))
			for i := range n {
				q, s, z := quantize8(m[i*k:(i+1)*k], unsigned)
				for j, c := range q {
					r[i*k+j] = dequant8(c, z, s, unsigned)
				}
			}
			return r
		}
		table = func(m []float32, _, _ int) []float32 {
			q, s, z := quantize8(m, unsigned)
			r := make([]float32, len(m))
			for j, c := range q {
				r[j] = dequant8(c, z, s, unsigned)
			}
			return r
		}
	default:
		return cfg, out
	}
	if vec == nil {
		vec = func(v []float32) []float32 { return v }
	}
	head := w.LMHead
	if cfg.TieEmbeddings {
		head = w.Embed
	}
	plain := cfg
	plain.Quant, plain.Int4 = "", false
	if cfg.Quant != "" {
		out.LMHead, plain.TieEmbeddings = mat(head, V, d), false
	}
	out.Embed = table(w.Embed, V, d)
	for i, l := range w.Layers {
		l.AttnNorm, l.FFNNorm = vec(l.AttnNorm), vec(l.FFNNorm)
		// A genai graph quantizes Q, K and V as one packed matrix; rows are independent, so quantizing
		// them apart gives the same values.
		l.WQ, l.WK, l.WV = mat(l.WQ, d, d), mat(l.WK, kvd, d), mat(l.WV, kvd, d)
		l.WO, l.W1, l.W3, l.W2 = mat(l.WO, d, d), mat(l.W1, hid, d), mat(l.W3, hid, d), mat(l.W2, d, hid)
		out.Layers[i] = l
	}
	out.FinalNorm = vec(w.FinalNorm)
	if w.LMHeadBias != nil {
		out.LMHeadBias = vec(w.LMHeadBias)
	}
	return plain, out
}

// dequantInt4F16 is the int4 round trip with float16 scales: float32(code - 8) * float16(scale).
func dequantInt4F16(m []float32, n, k int) []float32 {
	packed, scales, _ := quantizeInt4(m, n, k)
	blocks := (k + int4Block - 1) / int4Block
	out := make([]float32, n*k)
	for r := range n {
		for c := range k {
			bl := c / int4Block
			j := c % int4Block
			byteAt := (r*blocks+bl)*int4Block/2 + j/2
			code := int(packed[byteAt] & 0x0f)
			if j%2 == 1 {
				code = int(packed[byteAt] >> 4)
			}
			s := HalfToFloat32(Float32ToHalf(scales[r*blocks+bl]))
			out[r*k+c] = float32(code-8) * s
		}
	}
	return out
}

func roundHalf(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = HalfToFloat32(Float32ToHalf(x))
	}
	return out
}

func cloneWeights(w *Weights) *Weights {
	out := *w
	out.Layers = slices.Clone(w.Layers)
	return &out
}

// validateQuant checks the export options that concern weights and I/O quirks.
func (c LlamaConfig) validateQuant() error {
	if c.Quant != "" && !slices.Contains(QuantKinds(), c.Quant) {
		return fmt.Errorf("onnxbuild: unknown weight kind %q (want one of %v)", c.Quant, QuantKinds())
	}
	switch {
	case c.Quant != "" && (c.GenAI || c.Int4):
		return fmt.Errorf("onnxbuild: weight kind %s is for the optimum/transformers.js layout (a genai graph quantizes with Int4)", c.Quant)
	case (c.Quant == QuantQ4 || c.Quant == QuantQ4F16) && c.Dim%2 != 0:
		return fmt.Errorf("onnxbuild: weight kind %s packs two 4-bit codes per byte along the hidden size: dim %d must be even", c.Quant, c.Dim)
	case c.LastLogitsOnly && c.LogitsToKeep != "":
		return fmt.Errorf("onnxbuild: LastLogitsOnly and LogitsToKeep exclude each other")
	case c.CachePosition && (c.NoPositionIDs || c.GenAI):
		// (a genai graph declaring cache_position would ignore it; the runner refuses such a graph)
		return fmt.Errorf("onnxbuild: a cache_position graph takes position_ids too (as transformers exports them)")
	}
	return nil
}
