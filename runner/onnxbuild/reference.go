package onnxbuild

import "math"

// Reference computes, in float64 without any ONNX Runtime, the logits [len(ids)][vocab] of the
// decoder that BuildONNX builds for cfg and w, for one unpadded sequence at positions 0..n-1: the
// same Llama math written out plainly, to check exported graphs against. With cfg.KVFloat16 the
// keys and values are rounded to float16 as the graph's cache stores them.
func Reference(cfg LlamaConfig, w *Weights, ids []int) [][]float64 {
	d, hd, nh, nkv, hid := cfg.Dim, cfg.HeadDim(), cfg.Heads, cfg.KVHeads, cfg.HiddenDim
	kvd := cfg.KVDim()
	n := len(ids)
	matvec := func(m []float32, x []float64, rows, cols int) []float64 {
		out := make([]float64, rows)
		for r := range rows {
			var s float64
			row := m[r*cols : (r+1)*cols]
			for c, v := range row {
				s += float64(v) * x[c]
			}
			out[r] = s
		}
		return out
	}
	rmsnorm := func(x []float64, g []float32) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(len(x))+float64(float32(cfg.NormEps)))
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v * inv * float64(g[i])
		}
		return out
	}
	rope := func(x []float64, heads, pos int) {
		half := hd / 2
		for h := range heads {
			v := x[h*hd : (h+1)*hd]
			for i := range half {
				a := float64(pos) * math.Pow(cfg.RopeTheta, -float64(2*i)/float64(hd))
				c, s := math.Cos(a), math.Sin(a)
				var i0, i1 int
				if cfg.RopeInterleaved {
					i0, i1 = 2*i, 2*i+1
				} else {
					i0, i1 = i, i+half
				}
				x0, x1 := v[i0], v[i1]
				v[i0] = x0*c - x1*s
				v[i1] = x0*s + x1*c
			}
		}
	}
	round := func(x []float64) {
		if !cfg.KVFloat16 {
			return
		}
		for i, v := range x {
			x[i] = float64(HalfToFloat32(Float32ToHalf(float32(v))))
		}
	}

	// hidden states for every position, layer by layer.
	hs := make([][]float64, n)
	for t, id := range ids {
		hs[t] = make([]float64, d)
		for i := range d {
			hs[t][i] = float64(w.Embed[id*d+i])
		}
	}
	rep := nh / nkv
	for _, l := range w.Layers {
		keys := make([][]float64, n)
		vals := make([][]float64, n)
		qs := make([][]float64, n)
		for t := range n {
			x := rmsnorm(hs[t], l.AttnNorm)
			qs[t] = matvec(l.WQ, x, d, d)
			keys[t] = matvec(l.WK, x, kvd, d)
			vals[t] = matvec(l.WV, x, kvd, d)
			rope(qs[t], nh, t)
			rope(keys[t], nkv, t)
			round(keys[t])
			round(vals[t])
		}
		for t := range n {
			att := make([]float64, d)
			for h := range nh {
				kh := h / rep
				q := qs[t][h*hd : (h+1)*hd]
				scores := make([]float64, t+1)
				maxS := math.Inf(-1)
				for j := 0; j <= t; j++ {
					var s float64
					for i := range hd {
						s += q[i] * keys[j][kh*hd+i]
					}
					s /= math.Sqrt(float64(hd))
					scores[j] = s
					maxS = math.Max(maxS, s)
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - maxS)
					sum += scores[j]
				}
				for j := range scores {
					p := scores[j] / sum
					for i := range hd {
						att[h*hd+i] += p * vals[j][kh*hd+i]
					}
				}
			}
			o := matvec(l.WO, att, d, d)
			for i := range d {
				hs[t][i] += o[i]
			}
			x := rmsnorm(hs[t], l.FFNNorm)
			g := matvec(l.W1, x, hid, d)
			u := matvec(l.W3, x, hid, d)
			for i := range hid {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			down := matvec(l.W2, g, d, hid)
			for i := range d {
				hs[t][i] += down[i]
			}
		}
	}
	head := w.LMHead
	if cfg.TieEmbeddings {
		head = w.Embed
	}
	logits := make([][]float64, n)
	for t := range n {
		x := rmsnorm(hs[t], w.FinalNorm)
		logits[t] = matvec(head, x, cfg.VocabSize, d)
		if w.LMHeadBias != nil {
			for i, b := range w.LMHeadBias {
				logits[t][i] += float64(b)
			}
		}
	}
	return logits
}
