package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// The HTML report draws its charts as inline SVG from Go: a report must open
// offline, years later, with no script to load or run, and line charts with
// axes need a few hundred lines, not a charting library.

// chart is one line chart. Every string in it is escaped when drawn.
type chart struct {
	Title  string
	YLabel string
	// XKind says how the x axis reads: seconds from the run's start, a
	// percentile (x = -log10(1-p)), or a plain number.
	XKind  axisKind
	XLabel string
	LogY   bool
	Series []series
	Marks  []mark
}

type axisKind int

const (
	axisSeconds axisKind = iota
	axisPercentile
	axisNumber
)

type series struct {
	Name   string
	Dashed bool
	// Dots draws points instead of a line (a scatter).
	Dots   bool
	Points []point
}

type point struct{ X, Y float64 }

// mark is a vertical line at X, or a shaded span from X to X2, labelled.
type mark struct {
	X, X2 float64
	Label string
	Color string
}

// Colours of the series, in order; chosen to stay apart for the common
// kinds of colour blindness.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

const (
	chartW, chartH                     = 1080, 300
	padLeft, padRight, padTop, padDown = 72, 20, 46, 44
)

// SVG draws the chart. A chart with no points says so instead of drawing
// empty axes.
func (c chart) SVG() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, esc(c.Title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, padLeft, esc(c.Title))
	xmin, xmax, ymin, ymax, ok := c.bounds()
	if !ok {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">no data</text></svg>`, chartW/2, chartH/2)
		return template.HTML(b.String())
	}
	sx := scale{lo: xmin, hi: xmax, from: padLeft, to: chartW - padRight}
	sy := scale{lo: ymin, hi: ymax, from: chartH - padDown, to: padTop, log: c.LogY}
	c.drawAxes(&b, sx, sy)
	for _, m := range c.Marks {
		drawMark(&b, m, sx, sy)
	}
	for i, s := range c.Series {
		drawSeries(&b, s, palette[i%len(palette)], sx, sy)
	}
	c.drawLegend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c chart) bounds() (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) || (c.LogY && p.Y <= 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
			ok = true
		}
	}
	if !ok {
		return 0, 0, 0, 0, false
	}
	for _, m := range c.Marks {
		xmin, xmax = math.Min(xmin, m.X), math.Max(xmax, math.Max(m.X, m.X2))
	}
	if c.XKind == axisSeconds || c.XKind == axisPercentile {
		xmin = math.Min(xmin, 0)
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	if c.LogY {
		// Latencies are kept to the microsecond and up to an hour.
		ymin, ymax = logFloor(math.Max(ymin, 1e-3)), logCeil(math.Min(math.Max(ymax, 1e-3), 1e7))
		if ymax <= ymin {
			ymax = ymin * 10
		}
		return xmin, xmax, ymin, ymax, true
	}
	ymin = math.Min(ymin, 0)
	if ymax <= ymin {
		ymax = ymin + 1
	}
	ymax = niceCeil(ymax * 1.05)
	return xmin, xmax, ymin, ymax, true
}

// scale maps data values to pixels, linearly or on a log10 scale.
type scale struct {
	lo, hi, from, to float64
	log              bool
}

func (s scale) at(v float64) float64 {
	lo, hi := s.lo, s.hi
	if s.log {
		v, lo, hi = math.Log10(math.Max(v, s.lo)), math.Log10(lo), math.Log10(hi)
	}
	return s.from + (v-lo)/(hi-lo)*(s.to-s.from)
}

func (c chart) drawAxes(b *strings.Builder, sx, sy scale) {
	bottom, top := sy.from, sy.to
	left, right := sx.from, sx.to
	for _, t := range yTicks(sy) {
		y := sy.at(t)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, y, right, y)
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, esc(groupDigits(t)))
	}
	for _, t := range xTicks(c.XKind, sx) {
		x := sx.at(t.v)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, bottom, x, top)
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, bottom+16, esc(t.label))
	}
	fmt.Fprintf(b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, bottom, right, bottom)
	fmt.Fprintf(b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, bottom, left, top)
	fmt.Fprintf(b, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, (left+right)/2, chartH-6, esc(c.XLabel))
	fmt.Fprintf(b, `<text class="label" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, (top+bottom)/2, esc(c.YLabel))
}

func drawSeries(b *strings.Builder, s series, color string, sx, sy scale) {
	if s.Dots {
		fmt.Fprintf(b, `<g class="dots" fill="%s"><title>%s</title>`, color, esc(s.Name))
		for _, p := range s.Points {
			if drawable(p, sy) {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3"/>`, sx.at(p.X), sy.at(p.Y))
			}
		}
		b.WriteString(`</g>`)
		return
	}
	var d strings.Builder
	pen := "M"
	for _, p := range s.Points {
		if !drawable(p, sy) {
			pen = "M" // a gap: no line across missing data
			continue
		}
		fmt.Fprintf(&d, "%s%.1f %.1f ", pen, sx.at(p.X), sy.at(p.Y))
		pen = "L"
	}
	dash := ""
	if s.Dashed {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<path class="series" d="%s" stroke="%s"%s><title>%s</title></path>`, strings.TrimSpace(d.String()), color, dash, esc(s.Name))
}

func drawable(p point, sy scale) bool {
	return finite(p.X) && finite(p.Y) && (!sy.log || p.Y > 0)
}

func drawMark(b *strings.Builder, m mark, sx, sy scale) {
	x := sx.at(m.X)
	if m.X2 > m.X {
		fmt.Fprintf(b, `<rect class="span" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, sy.to, sx.at(m.X2)-x, sy.from-sy.to, m.Color)
	}
	fmt.Fprintf(b, `<line class="mark" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x, sy.from, x, sy.to, m.Color)
	// A line's label sits left of it, a span's inside it, so that the
	// capacity and the breaking point a second apart stay readable.
	lx, anchor := x-4, "end"
	if m.X2 > m.X {
		lx, anchor = x+4, "start"
	}
	fmt.Fprintf(b, `<text class="marklabel" x="%.1f" y="%.1f" fill="%s" text-anchor="%s">%s</text>`, lx, sy.to+12, m.Color, anchor, esc(m.Label))
}

func (c chart) drawLegend(b *strings.Builder) {
	x := float64(chartW - padRight)
	// Right-aligned, from the last entry leftwards.
	for i := len(c.Series) - 1; i >= 0; i-- {
		s := c.Series[i]
		name := clip(s.Name, 40)
		w := 7*float64(len([]rune(name))) + 28
		x -= w
		color := palette[i%len(palette)]
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="30" x2="%.1f" y2="30" stroke="%s" stroke-width="3"%s/>`, x, x+18, color, dash)
		fmt.Fprintf(b, `<text class="legend" x="%.1f" y="34">%s</text>`, x+22, esc(name))
	}
}

// maxTicks bounds the ticks of an axis, so that a damaged report (a value
// of 1e308 next to -1e308) cannot make a tick loop run for ever.
const maxTicks = 60

type tick struct {
	v     float64
	label string
}

func xTicks(kind axisKind, sx scale) []tick {
	var out []tick
	switch kind {
	case axisPercentile:
		for x := 0.0; x <= sx.hi+1e-9 && len(out) < maxTicks; x++ {
			out = append(out, tick{x, percentileLabel(x)})
		}
	case axisSeconds:
		step := niceStep((sx.hi - sx.lo) / 10)
		step = math.Max(1, step)
		for v := math.Ceil(sx.lo/step) * step; v <= sx.hi+1e-9 && len(out) < maxTicks; v += step {
			out = append(out, tick{v, (time.Duration(math.Round(v)) * time.Second).String()})
		}
	default:
		step := niceStep((sx.hi - sx.lo) / 10)
		for v := math.Ceil(sx.lo/step) * step; v <= sx.hi+1e-9 && len(out) < maxTicks; v += step {
			out = append(out, tick{v, groupDigits(v)})
		}
	}
	return out
}

// percentileLabel names the percentile at x = -log10(1-p): 0%, 90%, 99%,
// 99.9%...
func percentileLabel(x float64) string {
	if x == 0 {
		return "0%"
	}
	p := 100 * (1 - math.Pow(10, -x))
	return strconv.FormatFloat(p, 'f', max(0, int(x)-2), 64) + "%"
}

func yTicks(sy scale) []float64 {
	var out []float64
	if sy.log {
		d := math.Pow(10, math.Floor(math.Log10(sy.lo)))
		for decades := 0; d <= sy.hi*1.0001 && decades < maxTicks; decades++ {
			for _, m := range []float64{1, 2, 5} {
				if v := d * m; v >= sy.lo*0.9999 && v <= sy.hi*1.0001 {
					out = append(out, v)
				}
			}
			d *= 10
		}
		return out
	}
	step := niceStep((sy.hi - sy.lo) / 5)
	for v := math.Ceil(sy.lo/step) * step; v <= sy.hi+1e-9 && len(out) < maxTicks; v += step {
		out = append(out, v)
	}
	return out
}

// logCeil rounds v up to 1, 2 or 5 times a power of ten; logFloor down.
func logCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= v*0.9999 {
			return m * p
		}
	}
	return 10 * p
}

func logFloor(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= v*1.0001 {
			return m * p
		}
	}
	return p
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || !finite(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func niceCeil(v float64) float64 {
	step := niceStep(v / 5)
	return math.Ceil(v/step) * step
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func esc(s string) string { return template.HTMLEscapeString(s) }
