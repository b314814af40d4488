package onnxbuild

import "math"

// Int4 block quantization as ONNX Runtime's com.microsoft MatMulNBits operator reads it (bits 4):
// B is uint8 [N, k_blocks, block/2], codes packed low nibble first along K, scales [N*k_blocks], and
// no zero_points input, so every zero point is the default 8: w ≈ (code - 8) * scale.
const int4Block = 32

// quantizeInt4 quantizes the row-major [n, k] matrix m symmetrically per block of int4Block values of
// a row (scale = max|w|/7, codes 1..15; a short last block is padded with code 8). It returns the
// packed codes, the scales, and the dequantized matrix (what the operator computes with).
func quantizeInt4(m []float32, n, k int) (packed []byte, scales, deq []float32) {
	blocks := (k + int4Block - 1) / int4Block
	packed = make([]byte, n*blocks*int4Block/2)
	scales = make([]float32, n*blocks)
	deq = make([]float32, n*k)
	for r := range n {
		for bl := range blocks {
			lo, hi := bl*int4Block, min((bl+1)*int4Block, k)
			var amax float32
			for c := lo; c < hi; c++ {
				amax = max(amax, float32(math.Abs(float64(m[r*k+c]))))
			}
			scale := amax / 7
			scales[r*blocks+bl] = scale
			for j := range int4Block {
				code := 8
				if c := lo + j; c < hi && scale > 0 {
					code = 8 + int(math.Round(float64(m[r*k+c]/scale)))
					code = min(max(code, 1), 15)
					deq[r*k+c] = float32(code-8) * scale
				}
				byteAt := (r*blocks+bl)*int4Block/2 + j/2
				if j%2 == 0 {
					packed[byteAt] |= byte(code)
				} else {
					packed[byteAt] |= byte(code) << 4
				}
			}
		}
	}
	return packed, scales, deq
}

// DequantizedInt4 returns a copy of w whose decoder-layer projections (q, k, v, o, gate, up, down) are
// replaced by their int4 round trip: the weights an Int4 graph effectively computes with, for
// Reference. Embeddings, norms and the lm_head stay as they are (the Int4 graph keeps them float32).
func DequantizedInt4(cfg LlamaConfig, w *Weights) *Weights {
	d, kvd, hid := cfg.Dim, cfg.KVDim(), cfg.HiddenDim
	rt := func(m []float32, n, k int) []float32 {
		_, _, deq := quantizeInt4(m, n, k)
		return deq
	}
	out := *w
	out.Layers = make([]LayerWeights, len(w.Layers))
	for i, l := range w.Layers {
		// Q, K and V are quantized as one packed matrix in a genai graph; rows are independent, so
		// quantizing them apart gives the same values.
		l.WQ, l.WK, l.WV = rt(l.WQ, d, d), rt(l.WK, kvd, d), rt(l.WV, kvd, d)
		l.WO, l.W1, l.W3, l.W2 = rt(l.WO, d, d), rt(l.W1, hid, d), rt(l.W3, hid, d), rt(l.W2, d, hid)
		out.Layers[i] = l
	}
	return &out
}
