package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints one task's progress: plain lines (at most every few seconds, and at the end) when
// not on a terminal, a redrawn bar with samples/s and ETA when on one. A nil writer prints nothing.
type progress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time

	name          string
	n, total      int
	startDone     int
	started, last time.Time
}

func newProgress(w io.Writer, terminal bool, now func() time.Time) *progress {
	return &progress{w: w, terminal: terminal, now: now}
}

func (p *progress) start(name string, done, total int) {
	p.name, p.n, p.total, p.startDone = name, done, total, done
	p.started = p.now()
	p.last = time.Time{}
	if p.w != nil && !p.terminal {
		if done > 0 {
			fmt.Fprintf(p.w, "%s: %d/%d samples already done\n", name, done, total)
		} else {
			fmt.Fprintf(p.w, "%s: %d samples\n", name, total)
		}
	}
	p.draw(false)
}

func (p *progress) add(n int) {
	p.n += n
	p.draw(false)
}

func (p *progress) finish() { p.draw(true) }

func (p *progress) rate() (float64, time.Duration) {
	el := p.now().Sub(p.started).Seconds()
	if el <= 0 || p.n == p.startDone {
		return 0, 0
	}
	r := float64(p.n-p.startDone) / el
	eta := time.Duration(float64(p.total-p.n) / r * float64(time.Second))
	return r, eta
}

func (p *progress) draw(final bool) {
	if p.w == nil {
		return
	}
	now := p.now()
	r, eta := p.rate()
	if p.terminal {
		const width = 30
		fill := 0
		if p.total > 0 {
			fill = p.n * width / p.total
		}
		bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
		fmt.Fprintf(p.w, "\r%-40s [%s] %d/%d %.1f samples/s ETA %s\x1b[K", trim(p.name, 40), bar, p.n, p.total, r, eta.Round(time.Second))
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	if final {
		fmt.Fprintf(p.w, "%s: done %d/%d (%.1f samples/s, %s)\n", p.name, p.n, p.total, r, now.Sub(p.started).Round(time.Millisecond))
		return
	}
	if p.n > p.startDone && now.Sub(p.last) >= 5*time.Second {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d/%d samples, %.1f samples/s, ETA %s\n", p.name, p.n, p.total, r, eta.Round(time.Second))
	}
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
