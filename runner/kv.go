package runner

// The KV cache as the scheduler moves it around: one buffer per cache tensor (a key and a value per
// layer), each laid out as the graph reads past and writes present, [rows, kv_heads, width, head_dim].
// Buffers come from a small pool, so that the present of one step reuses the past of the step before
// (ping-pong) and a prompt's prefill cache reuses the last one's, without allocating per step.

// kvShape is the geometry shared by every cache tensor of a model.
type kvShape struct {
	tensors int // 2 per layer: key, value
	heads   int // kv heads
	headDim int
	elem    int // bytes per element (4 float32, 2 float16)
}

// colBytes is the size of one position of one head.
func (s kvShape) colBytes() int { return s.headDim * s.elem }

// bytes is the size of one tensor of rows x width positions.
func (s kvShape) bytes(rows, width int) int { return rows * s.heads * width * s.colBytes() }

// kv is a KV cache of rows sequences over width positions. Which of a row's columns hold its keys is
// the scheduler's business (see generate.go); the other columns hold stale values, never NaN-producing
// garbage: every byte was either zeroed at allocation or written by the graph or a copy.
type kv struct {
	rows, width int
	bufs        [][]byte  // host buffers (kvPool): per tensor, at least shape.bytes(rows, width) long
	dev         *devCache // device tensors (bindStep); nil for an empty cache
}

// kvPool hands out caches and takes them back. Not safe for concurrent use (one scheduler owns it).
type kvPool struct {
	shape kvShape
	// rowsHint is the number of rows a growing batch will reach (its slots): a new buffer set is sized
	// for that many rows, so that admitting a row rarely reallocates.
	rowsHint int
	free     []*kv
}

// maxFreeSets bounds the buffer sets a pool keeps: the two sides of the batch cache, a prefill cache
// and one spare.
const maxFreeSets = 4

// get returns a cache of rows x width positions whose contents are undefined (stale but finite).
func (p *kvPool) get(rows, width int) *kv {
	need := p.shape.bytes(rows, width)
	best := -1
	for i, c := range p.free {
		if cap(c.bufs[0]) >= need && (best < 0 || cap(c.bufs[0]) < cap(p.free[best].bufs[0])) {
			best = i
		}
	}
	if best >= 0 {
		c := p.free[best]
		p.free = append(p.free[:best], p.free[best+1:]...)
		c.rows, c.width = rows, width
		for i := range c.bufs {
			c.bufs[i] = c.bufs[i][:need]
		}
		return c
	}
	// A new set: room for rowsHint rows and a quarter more positions, so that a batch growing by one
	// position per step reallocates about every width/4 steps at first and then not at all.
	size := p.shape.bytes(max(rows, p.rowsHint), width+width/4+16)
	c := &kv{rows: rows, width: width, bufs: make([][]byte, p.shape.tensors)}
	for i := range c.bufs {
		c.bufs[i] = make([]byte, need, max(size, need))
	}
	return c
}

// put returns a cache to the pool (nil is ignored). The caller must not use it afterwards.
func (p *kvPool) put(c *kv) {
	if c == nil {
		return
	}
	p.free = append(p.free, c)
	if len(p.free) > maxFreeSets {
		// Drop the smallest set: the big ones are what a batch needs again.
		small := 0
		for i, f := range p.free {
			if cap(f.bufs[0]) < cap(p.free[small].bufs[0]) {
				small = i
			}
		}
		p.free = append(p.free[:small], p.free[small+1:]...)
	}
}

// fits reports whether c can hold rows x width positions in place: the same width (the buffers' row
// stride), and room for the rows.
func (p *kvPool) fits(c *kv, rows, width int) bool {
	return width == c.width && cap(c.bufs[0]) >= p.shape.bytes(rows, width)
}

// reshape changes c's row count in place (fits must hold): rows beyond the old count hold undefined
// values.
func (p *kvPool) reshape(c *kv, rows, width int) {
	need := p.shape.bytes(rows, width)
	for i := range c.bufs {
		c.bufs[i] = c.bufs[i][:need]
	}
	c.rows, c.width = rows, width
}

// copyCols copies n positions of every head of every tensor: src row sr, columns [sc, sc+n), to dst
// row dr, columns [dc, dc+n). dst and src may be the same cache when the ranges do not overlap.
func (p *kvPool) copyCols(dst *kv, dr, dc int, src *kv, sr, sc, n int) {
	if n <= 0 {
		return
	}
	cb := p.shape.colBytes()
	for t := range dst.bufs {
		d, s := dst.bufs[t], src.bufs[t]
		for h := range p.shape.heads {
			do := ((dr*p.shape.heads+h)*dst.width + dc) * cb
			so := ((sr*p.shape.heads+h)*src.width + sc) * cb
			copy(d[do:do+n*cb], s[so:so+n*cb])
		}
	}
}
