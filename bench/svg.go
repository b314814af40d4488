package bench

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// A small SVG chart writer for the HTML report: line, step, scatter and grouped bar charts with
// intervals, nice ticks (1-2-5, or powers of two on a log axis), a legend under the plot (never over the
// data) and the page's own font. Every text is escaped; the output is inline SVG with no scripts and no
// external references.

// svgPalette is a colour-blind-safe palette (Okabe & Ito 2008), then greys.
var svgPalette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"}

func svgColor(i int) string { return svgPalette[i%len(svgPalette)] }

// chartPoint is one data point; Lo/Hi (y) and XLo/XHi (x) are an interval when HasY / HasX.
type chartPoint struct {
	X, Y       float64
	Lo, Hi     float64
	XLo, XHi   float64
	HasY, HasX bool
	// Label is written next to the point (scatter plots: direct labels instead of a legend lookup).
	Label string
}

// chartSeries is one line or set of points.
type chartSeries struct {
	Name   string
	Color  string
	Points []chartPoint
	// Line joins the points; Step draws them as an empirical CDF (horizontal, then vertical); Dash is an
	// SVG dash pattern ("" solid); Markers draws a dot per point; Band fills the y interval.
	Line, Step, Markers, Band bool
	Dash                      string
	// Legend false keeps the series out of the legend.
	NoLegend bool
}

// chartVLine is a labelled vertical reference line (a token limit).
type chartVLine struct {
	X     float64
	Label string
}

// chartBars is a grouped bar chart: Groups on the x axis, one bar per series in each group.
type chartBars struct {
	Groups []string
	Series []chartBarSeries
}

type chartBarSeries struct {
	Name   string
	Color  string
	Values []float64 // NaN: no bar
	Lo, Hi []float64 // interval per bar (nil: none)
}

// chart is one figure.
type chart struct {
	Title          string
	XLabel, YLabel string
	// XLog draws the x axis in powers of two; YPercent formats y ticks with %; XMin0/YMin0 include 0.
	XLog, YPercent bool
	XMin0, YMin0   bool
	// XTight ends the x axis just after the largest value instead of at the next tick.
	XTight bool
	// XTicks, when set, are the x ticks (a budget curve's budgets).
	XTicks []float64
	// YFixed fixes the y range to [YLo, YHi].
	YFixed   bool
	YLo, YHi float64
	Series   []chartSeries
	VLines   []chartVLine
	Bars     *chartBars
	// ZeroLine draws y = 0.
	ZeroLine bool
	Width    int
	Height   int
	// ID names the chart's elements (unique within a page).
	ID string
}

const (
	svgFont     = `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`
	svgMarginL  = 62
	svgMarginR  = 18
	svgMarginT  = 34
	svgAxisH    = 46 // x ticks and label under the plot
	svgLegendRH = 18 // one legend row
)

// esc escapes text for SVG/HTML.
func esc(s string) string { return html.EscapeString(s) }

// niceStep is a 1, 2, 2.5 or 5 x 10^k step (no 2.5 for integer data) that cuts span into about n parts.
func niceStep(span float64, n int, integer bool) float64 {
	if !(span > 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	ms := []float64{1, 2, 2.5, 5, 10}
	if integer {
		ms = []float64{1, 2, 5, 10}
	}
	for _, m := range ms {
		if raw <= m*p*1.0000001 {
			return m * p
		}
	}
	return 10 * p
}

// niceRange widens [lo, hi] to multiples of a nice step and returns the ticks. Equal ends (all values
// the same) are spread to a range around the value, so the axis never shows meaningless decimals.
func niceRange(lo, hi float64, n int, integer bool) (float64, float64, []float64) {
	if math.IsInf(lo, 0) || math.IsNaN(lo) || math.IsInf(hi, 0) || math.IsNaN(hi) {
		lo, hi = 0, 1
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi-lo < 1e-9*math.Max(1, math.Abs(hi)) {
		d := math.Max(math.Abs(hi)*0.1, 1)
		lo, hi = lo-d, hi+d
	}
	step := niceStep(hi-lo, n, integer)
	if integer && step < 1 {
		step = 1
	}
	lo = math.Floor(lo/step+1e-9) * step
	hi = math.Ceil(hi/step-1e-9) * step
	var ticks []float64
	for v := lo; v <= hi+step*1e-6; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return lo, hi, ticks
}

// tickLabel formats a tick with the decimals its step needs.
func tickLabel(v, step float64, percent bool) string {
	dec := 0
	for step > 0 && dec < 6 && math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-9*math.Pow(10, float64(dec)) {
		dec++
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if s == "-0" {
		s = "0"
	}
	if percent {
		return s + "%"
	}
	if math.Abs(v) >= 10000 && dec == 0 {
		return thousands(int64(math.Round(v)))
	}
	return s
}

// tokensTick writes a power-of-two token count as 512, 1k, 2k, ... 32k.
func tokensTick(v float64) string {
	n := int64(math.Round(v))
	if n >= 1024 && n%1024 == 0 {
		return strconv.FormatInt(n/1024, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// svgBuilder accumulates SVG elements.
type svgBuilder struct{ strings.Builder }

func (b *svgBuilder) f(format string, a ...any) { fmt.Fprintf(b, format, a...) }

func fx(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// legendEntries lists what the legend shows: name, colour, dash, kind (line, dot, bar).
type legendEntry struct{ name, color, dash, kind string }

// legendLayout places entries in rows under the plot; it returns positions and the rows' height.
func legendLayout(entries []legendEntry, width int) ([][2]float64, int) {
	pos := make([][2]float64, len(entries))
	x, row := float64(svgMarginL), 0
	for i, e := range entries {
		w := 26 + 7.0*float64(len([]rune(e.name))) + 18
		if x+w > float64(width-svgMarginR) && x > svgMarginL {
			row++
			x = svgMarginL
		}
		pos[i] = [2]float64{x, float64(row)}
		x += w
	}
	if len(entries) == 0 {
		return pos, 0
	}
	return pos, (row + 1) * svgLegendRH
}

// render draws the chart as inline SVG.
func (c chart) render() template.HTML {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 560
	}
	if h == 0 {
		h = 340
	}
	var entries []legendEntry
	for _, s := range c.Series {
		if s.NoLegend || s.Name == "" {
			continue
		}
		kind := "line"
		if !s.Line && !s.Step {
			kind = "dot"
		}
		entries = append(entries, legendEntry{s.Name, s.Color, s.Dash, kind})
	}
	if c.Bars != nil {
		for _, s := range c.Bars.Series {
			entries = append(entries, legendEntry{s.Name, s.Color, "", "bar"})
		}
	}
	lpos, legendH := legendLayout(entries, w)
	total := h + legendH
	plotL, plotR := float64(svgMarginL), float64(w-svgMarginR)
	plotT, plotB := float64(svgMarginT), float64(h-svgAxisH)

	// Ranges.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			xlo, xhi = math.Min(xlo, p.X), math.Max(xhi, p.X)
			ylo, yhi = math.Min(ylo, p.Y), math.Max(yhi, p.Y)
			if p.HasY {
				ylo, yhi = math.Min(ylo, p.Lo), math.Max(yhi, p.Hi)
			}
			if p.HasX {
				xlo, xhi = math.Min(xlo, p.XLo), math.Max(xhi, p.XHi)
			}
		}
	}
	for _, v := range c.VLines {
		xlo, xhi = math.Min(xlo, v.X), math.Max(xhi, v.X)
	}
	if c.Bars != nil {
		xlo, xhi = 0, float64(len(c.Bars.Groups))
		for _, s := range c.Bars.Series {
			for i, v := range s.Values {
				if math.IsNaN(v) {
					continue
				}
				ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
				if s.Lo != nil {
					ylo, yhi = math.Min(ylo, s.Lo[i]), math.Max(yhi, s.Hi[i])
				}
			}
		}
		ylo, yhi = math.Min(ylo, 0), math.Max(yhi, 0)
	}
	if c.YMin0 {
		ylo = math.Min(ylo, 0)
	}
	if c.XMin0 {
		xlo = math.Min(xlo, 0)
	}
	var yticks []float64
	if c.YFixed {
		ylo, yhi = c.YLo, c.YHi
		_, _, yticks = niceRange(ylo, yhi, 5, false)
	} else {
		ylo, yhi, yticks = niceRange(ylo, yhi, 5, false)
	}
	if c.YPercent && !c.YFixed && c.Bars == nil {
		ylo, yhi = math.Max(ylo, 0), math.Min(yhi, 100)
	}
	ystep := 1.0
	if len(yticks) > 1 {
		ystep = yticks[1] - yticks[0]
	}
	var xticks []float64
	var xstep float64
	xpos := func(v float64) float64 { return 0 }
	if c.Bars != nil {
		xpos = func(v float64) float64 { return plotL + (v-xlo)/(xhi-xlo)*(plotR-plotL) }
	} else if c.XLog {
		lo := math.Log2(math.Max(xlo, 1))
		hi := math.Log2(math.Max(xhi, 1))
		if hi-lo < 1 {
			lo, hi = lo-0.5, hi+0.5
		}
		span := hi - lo
		pad := 0.05 * span
		xpos = func(v float64) float64 {
			return plotL + (math.Log2(math.Max(v, 1))-lo+pad)/(span+2*pad)*(plotR-plotL)
		}
		first, last := math.Ceil(lo-pad), math.Floor(hi+pad)
		every := max(1, int(math.Ceil((last-first+1)/9)))
		for e := first; e <= last; e++ {
			if int(e-first)%every == 0 {
				xticks = append(xticks, math.Pow(2, e))
			}
		}
		if len(c.XTicks) > 0 {
			xticks = c.XTicks
		}
	} else {
		dataHi := xhi
		xlo, xhi, xticks = niceRange(xlo, xhi, 6, true)
		if c.XTight && dataHi > xlo {
			xhi = dataHi + 0.015*(dataHi-xlo) // lines at the largest value stay visible off the frame
		}
		if len(xticks) > 1 {
			xstep = xticks[1] - xticks[0]
		}
		xpos = func(v float64) float64 { return plotL + (v-xlo)/(xhi-xlo)*(plotR-plotL) }
	}
	ypos := func(v float64) float64 { return plotB - (v-ylo)/(yhi-ylo)*(plotB-plotT) }

	var b svgBuilder
	b.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family='%s' font-size="12" role="img" aria-label="%s">`,
		w, total, w, total, svgFont, esc(c.Title))
	b.f(`<title>%s</title>`, esc(c.Title))
	b.f(`<rect width="%d" height="%d" fill="#fff"/>`, w, total)
	b.f(`<text x="%s" y="20" font-size="14" font-weight="600" fill="#222">%s</text>`, fx(plotL), esc(c.Title))
	// Grid and ticks.
	for _, v := range yticks {
		y := ypos(v)
		if y < plotT-0.5 || y > plotB+0.5 {
			continue
		}
		b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#e6e6e6"/>`, fx(plotL), fx(plotR), fx(y), fx(y))
		b.f(`<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle" fill="#444">%s</text>`, fx(plotL-6), fx(y), esc(tickLabel(v, ystep, c.YPercent)))
	}
	if c.Bars != nil {
		for i, g := range c.Bars.Groups {
			x := xpos(float64(i) + 0.5)
			b.f(`<text x="%s" y="%s" text-anchor="middle" fill="#444">%s</text>`, fx(x), fx(plotB+16), esc(g))
		}
	} else {
		// Labels from the right (the limit matters most), each only where it does not touch the next one.
		nextLeft := math.Inf(1)
		for i := len(xticks) - 1; i >= 0; i-- {
			v := xticks[i]
			x := xpos(v)
			if x < plotL-0.5 || x > plotR+0.5 {
				continue
			}
			b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#f0f0f0"/>`, fx(x), fx(x), fx(plotT), fx(plotB))
			label := tickLabel(v, xstep, false)
			if c.XLog {
				label = tokensTick(v)
			}
			b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#888"/>`, fx(x), fx(x), fx(plotB), fx(plotB+4))
			half := 3.6*float64(len(label)) + 4
			if x+half > nextLeft {
				continue
			}
			b.f(`<text x="%s" y="%s" text-anchor="middle" fill="#444">%s</text>`, fx(x), fx(plotB+16), esc(label))
			nextLeft = x - half
		}
	}
	b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#888"/>`, fx(plotL), fx(plotR), fx(plotB), fx(plotB))
	b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#888"/>`, fx(plotL), fx(plotL), fx(plotT), fx(plotB))
	if c.ZeroLine && ylo < 0 && yhi > 0 {
		b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#666" stroke-width="1"/>`, fx(plotL), fx(plotR), fx(ypos(0)), fx(ypos(0)))
	}
	b.f(`<text x="%s" y="%s" text-anchor="middle" font-size="13" fill="#222">%s</text>`, fx((plotL+plotR)/2), fx(plotB+36), esc(c.XLabel))
	b.f(`<text transform="translate(16 %s) rotate(-90)" text-anchor="middle" font-size="13" fill="#222">%s</text>`, fx((plotT+plotB)/2), esc(c.YLabel))
	// Clip data to the plot area.
	clip := "clip-" + c.ID
	if c.ID == "" {
		clip = fmt.Sprintf("clip-%x", fhashString(c.Title+c.XLabel+c.YLabel))
	}
	b.f(`<clipPath id="%s"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath><g clip-path="url(#%s)">`,
		clip, fx(plotL), fx(plotT-6), fx(plotR-plotL+6), fx(plotB-plotT+12), clip)
	for _, v := range c.VLines {
		x := xpos(v.X)
		b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#555" stroke-dasharray="2 3"/>`, fx(x), fx(x), fx(plotT), fx(plotB))
	}
	if c.Bars != nil {
		n := len(c.Bars.Series)
		for i := range c.Bars.Groups {
			gw := (xpos(1) - xpos(0)) * 0.8
			bw := gw / float64(max(n, 1))
			x0 := xpos(float64(i)) + (xpos(1)-xpos(0))*0.1
			for k, s := range c.Bars.Series {
				v := s.Values[i]
				if math.IsNaN(v) {
					continue
				}
				x := x0 + float64(k)*bw
				y0, y1 := ypos(0), ypos(v)
				b.f(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.85"/>`, fx(x+1), fx(math.Min(y0, y1)), fx(bw-2), fx(math.Abs(y1-y0)), s.Color)
				if s.Lo != nil {
					xm := x + bw/2
					b.f(`<path d="M%s %sV%sM%s %sH%sM%s %sH%s" stroke="#222" fill="none"/>`, fx(xm), fx(ypos(s.Lo[i])), fx(ypos(s.Hi[i])),
						fx(xm-4), fx(ypos(s.Lo[i])), fx(xm+4), fx(xm-4), fx(ypos(s.Hi[i])), fx(xm+4))
				}
			}
		}
	}
	var labels []placedLabel
	for _, s := range c.Series {
		if s.Band && len(s.Points) > 1 {
			var d strings.Builder
			for i, p := range s.Points {
				cmd := "L"
				if i == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%s %s", cmd, fx(xpos(p.X)), fx(ypos(p.Hi)))
			}
			for i := len(s.Points) - 1; i >= 0; i-- {
				p := s.Points[i]
				fmt.Fprintf(&d, "L%s %s", fx(xpos(p.X)), fx(ypos(p.Lo)))
			}
			b.f(`<path d="%sZ" fill="%s" fill-opacity="0.12" stroke="none"/>`, d.String(), s.Color)
		}
		if (s.Line || s.Step) && len(s.Points) > 0 {
			var d strings.Builder
			for i, p := range s.Points {
				x, y := xpos(p.X), ypos(p.Y)
				switch {
				case i == 0:
					fmt.Fprintf(&d, "M%s %s", fx(x), fx(y))
				case s.Step:
					fmt.Fprintf(&d, "H%sV%s", fx(x), fx(y))
				default:
					fmt.Fprintf(&d, "L%s %s", fx(x), fx(y))
				}
			}
			dash := ""
			if s.Dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.Dash)
			}
			b.f(`<path d="%s" fill="none" stroke="%s" stroke-width="2"%s stroke-linejoin="round"/>`, d.String(), s.Color, dash)
		}
		for _, p := range s.Points {
			x, y := xpos(p.X), ypos(p.Y)
			if p.HasY && !s.Band {
				b.f(`<path d="M%s %sV%sM%s %sH%sM%s %sH%s" stroke="%s" fill="none"/>`, fx(x), fx(ypos(p.Lo)), fx(ypos(p.Hi)),
					fx(x-3), fx(ypos(p.Lo)), fx(x+3), fx(x-3), fx(ypos(p.Hi)), fx(x+3), s.Color)
			}
			if p.HasX {
				b.f(`<path d="M%s %sH%sM%s %sV%sM%s %sV%s" stroke="%s" fill="none"/>`, fx(xpos(p.XLo)), fx(y), fx(xpos(p.XHi)),
					fx(xpos(p.XLo)), fx(y-3), fx(y+3), fx(xpos(p.XHi)), fx(y-3), fx(y+3), s.Color)
			}
			if s.Markers {
				b.f(`<circle cx="%s" cy="%s" r="3.5" fill="%s" stroke="#fff" stroke-width="1"/>`, fx(x), fx(y), s.Color)
			}
			if p.Label != "" {
				labels = append(labels, placedLabel{x: x, y: y, text: p.Label, color: s.Color})
			}
		}
	}
	b.WriteString(`</g>`)
	placeLabels(&b, labels, plotL, plotR, plotT, plotB)
	// Reference line labels above the plot area (outside the data).
	for _, v := range c.VLines {
		x := xpos(v.X)
		anchor := "middle"
		if x > plotR-40 {
			anchor = "end"
		}
		b.f(`<text x="%s" y="%s" text-anchor="%s" font-size="11" fill="#555">%s</text>`, fx(x), fx(plotT-4), anchor, esc(v.Label))
	}
	// Legend under the plot.
	for i, e := range entries {
		x, y := lpos[i][0], float64(h)+lpos[i][1]*svgLegendRH+4
		switch e.kind {
		case "line":
			dash := ""
			if e.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, e.dash)
			}
			b.f(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`, fx(x), fx(x+20), fx(y), fx(y), e.color, dash)
		case "bar":
			b.f(`<rect x="%s" y="%s" width="14" height="10" fill="%s" fill-opacity="0.85"/>`, fx(x+3), fx(y-5), e.color)
		default:
			b.f(`<circle cx="%s" cy="%s" r="4" fill="%s"/>`, fx(x+10), fx(y), e.color)
		}
		b.f(`<text x="%s" y="%s" dominant-baseline="middle" fill="#222">%s</text>`, fx(x+26), fx(y), esc(e.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above went through esc
}

// fhashString is a short stable hash for element ids.
func fhashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// placedLabel is a direct label of a point.
type placedLabel struct {
	x, y        float64
	text, color string
}

// placeLabels writes point labels up and to the right of their points (to the left near the right
// edge), moving a label down or up until it overlaps no earlier one.
func placeLabels(b *svgBuilder, labels []placedLabel, l, r, t, bottom float64) {
	type box struct{ x0, y0, x1, y1 float64 }
	var taken []box
	for _, lb := range labels {
		w := 7.0*float64(len([]rune(lb.text))) + 4
		x, anchor := lb.x+7, "start"
		if x+w > r {
			x, anchor = lb.x-7, "end"
		}
		x0 := x
		if anchor == "end" {
			x0 = x - w
		}
		y := lb.y - 8
		for try := 0; try < 12; try++ {
			bx := box{x0, y - 11, x0 + w, y + 3}
			clash := bx.y0 < t || bx.y1 > bottom
			for _, o := range taken {
				if bx.x0 < o.x1 && o.x0 < bx.x1 && bx.y0 < o.y1 && o.y0 < bx.y1 {
					clash = true
				}
			}
			if !clash {
				break
			}
			if try%2 == 0 {
				y = lb.y + 16 + float64(try/2)*14
			} else {
				y = lb.y - 8 - float64(try/2+1)*14
			}
		}
		taken = append(taken, box{x0, y - 11, x0 + w, y + 3})
		b.f(`<text x="%s" y="%s" text-anchor="%s" font-size="12" font-weight="600" fill="%s" paint-order="stroke" stroke="#fff" stroke-width="3">%s</text>`,
			fx(x), fx(y), anchor, lb.color, esc(lb.text))
	}
}
