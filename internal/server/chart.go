package server

import (
	"bytes"
	"hash/fnv"
	"html/template"
	"math"
	"strconv"
	"unicode/utf8"
)

// Charts are drawn on the server as inline SVG, so they need no script and
// no style attribute (the CSP forbids both): shapes take the .chart, .bar,
// .line and .axis classes of style.css. Each chart is an image with a title
// and a description for screen readers; pages put the same figures in a
// table beside it. The drawing is 320 units wide and scales to its box
// (width 100%), so the 12-unit labels stay about 12 pixels high on a 360-pixel phone.

// ChartItem is one value of a chart: a bar of a bar chart, a point of a
// line chart.
type ChartItem struct {
	Label string
	Value int64
}

const (
	chartWidth     = 320.0
	chartPad       = 8.0
	barRow         = 38.0 // label line, then the bar
	barHeight      = 14.0
	barValueSpace  = 56.0 // room after the longest bar for its value
	maxLabelRunes  = 44   // about what fits in 304 units at 12 units a line
	lineHeight     = 200.0
	linePlotLeft   = 48.0
	linePlotRight  = chartWidth - chartPad - 4
	linePlotTop    = 16.0
	linePlotBottom = 166.0
)

// svgNum writes a coordinate with at most two decimals.
func svgNum(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// chartFrame is what every chart's outer SVG needs.
type chartFrame struct {
	ID, Title, Desc string
	Width, Height   string
}

func newFrame(kind, title, desc string, height float64) chartFrame {
	// A stable id from the content, so two charts on a page do not share
	// the ids their aria-labelledby points at.
	h := fnv.New32a()
	h.Write([]byte(kind + "\x00" + title + "\x00" + desc))
	return chartFrame{ID: "chart-" + strconv.FormatUint(uint64(h.Sum32()), 36), Title: title, Desc: desc,
		Width: svgNum(chartWidth), Height: svgNum(height)}
}

var chartTemplates = template.Must(template.New("chart").Parse(`
{{- define "open"}}<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" viewBox="0 0 {{.Width}} {{.Height}}" aria-labelledby="{{.ID}}-title {{.ID}}-desc"><title id="{{.ID}}-title">{{.Title}}</title><desc id="{{.ID}}-desc">{{.Desc}}</desc>{{end}}
{{- define "empty"}}<p class="notice">{{.}}</p>{{end}}
{{- define "bar"}}{{template "open" .Frame}}
{{- range .Bars}}<text x="{{.X}}" y="{{.LabelY}}">{{.Label}}</text><rect class="bar" x="{{.X}}" y="{{.BarY}}" width="{{.Width}}" height="{{.Height}}"/><text x="{{.ValueX}}" y="{{.ValueY}}">{{.Value}}</text>{{end -}}
</svg>{{end}}
{{- define "line"}}{{template "open" .Frame}}
{{- range .Ticks}}<line class="axis" x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"/><text x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="end">{{.Label}}</text>{{end -}}
<line class="axis" x1="{{.Left}}" y1="{{.Top}}" x2="{{.Left}}" y2="{{.Bottom}}"/>
{{- if .Polyline}}<polyline class="line" points="{{.Polyline}}"/>{{end -}}
{{- range .Dots}}<circle class="dot" fill="#7a1f1f" cx="{{.X}}" cy="{{.Y}}" r="{{.R}}"/>{{end -}}
{{- range .XLabels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Label}}</text>{{end -}}
</svg>{{end}}`))

// executeChart runs one of the chart templates; the data is built here and
// always fits, so a failure can only be a bug: it falls back to the text.
func executeChart(name string, data any, desc string) template.HTML {
	var buf bytes.Buffer
	if err := chartTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return emptyChart(desc)
	}
	return template.HTML(buf.String())
}

// emptyChart stands in for a chart with nothing to draw: its description,
// as a paragraph.
func emptyChart(desc string) template.HTML {
	var buf bytes.Buffer
	_ = chartTemplates.ExecuteTemplate(&buf, "empty", desc)
	return template.HTML(buf.String())
}

// maxValue returns the largest value of items (0 for none).
func maxValue(items []ChartItem) int64 {
	var m int64
	for _, it := range items {
		m = max(m, it.Value)
	}
	return m
}

// truncateLabel shortens a label that would not fit the chart's width; the
// table beside the chart has it in full.
func truncateLabel(s string) string {
	if utf8.RuneCountInString(s) <= maxLabelRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxLabelRunes-1]) + "…"
}

type svgBar struct {
	Label, Value                                   string
	X, LabelY, BarY, Width, Height, ValueX, ValueY string
}

// BarChart draws items as horizontal bars, one row each in the given
// order, every bar as long as its value in proportion to the largest, with
// its label above it and its value after it. With nothing to draw (no item
// above zero) it returns desc as a paragraph instead.
func BarChart(items []ChartItem, title, desc string) template.HTML {
	top := maxValue(items)
	if top <= 0 {
		return emptyChart(desc)
	}
	full := chartWidth - 2*chartPad - barValueSpace
	height := 2*chartPad + float64(len(items))*barRow
	data := struct {
		Frame chartFrame
		Bars  []svgBar
	}{Frame: newFrame("bar", title, desc, height)}
	for i, it := range items {
		y := chartPad + float64(i)*barRow
		w := full * float64(max(it.Value, 0)) / float64(top)
		data.Bars = append(data.Bars, svgBar{
			Label: truncateLabel(it.Label), Value: strconv.FormatInt(it.Value, 10),
			X: svgNum(chartPad), LabelY: svgNum(y + 12), BarY: svgNum(y + 17),
			Width: svgNum(w), Height: svgNum(barHeight),
			ValueX: svgNum(chartPad + w + 4), ValueY: svgNum(y + 17 + barHeight - 2),
		})
	}
	return executeChart("bar", data, desc)
}

type svgPoint struct{ X, Y, R string }

type svgTick struct{ X1, X2, Y, LabelX, LabelY, Label string }

type svgLabel struct{ X, Y, Anchor, Label string }

// LineChart draws points as a line from left to right, evenly spaced in
// the given order (one per day, say, zeros included), on a vertical scale
// from 0 to the largest value. The first, middle and last labels go under
// the axis. With nothing to draw (no point above zero) it returns desc as
// a paragraph instead.
func LineChart(points []ChartItem, title, desc string) template.HTML {
	top := maxValue(points)
	if top <= 0 {
		return emptyChart(desc)
	}
	data := struct {
		Frame             chartFrame
		Left, Top, Bottom string
		Ticks             []svgTick
		Polyline          string
		Dots              []svgPoint
		XLabels           []svgLabel
	}{Frame: newFrame("line", title, desc, lineHeight),
		Left: svgNum(linePlotLeft), Top: svgNum(linePlotTop), Bottom: svgNum(linePlotBottom)}
	for _, v := range []int64{0, top} {
		y := valueY(v, top)
		data.Ticks = append(data.Ticks, svgTick{X1: svgNum(linePlotLeft - 4), X2: svgNum(linePlotRight), Y: svgNum(y),
			LabelX: svgNum(linePlotLeft - 6), LabelY: svgNum(y + 4), Label: strconv.FormatInt(v, 10)})
	}
	r := "2.5"
	if len(points) > 31 {
		r = "1.5"
	}
	var line bytes.Buffer
	for i, p := range points {
		x, y := svgNum(pointX(i, len(points))), svgNum(valueY(p.Value, top))
		if i > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(x + "," + y)
		data.Dots = append(data.Dots, svgPoint{X: x, Y: y, R: r})
	}
	if len(points) > 1 {
		data.Polyline = line.String()
	}
	data.XLabels = xLabels(points)
	return executeChart("line", data, desc)
}

// pointX is where the i-th of n points sits across the plot.
func pointX(i, n int) float64 {
	if n == 1 {
		return (linePlotLeft + linePlotRight) / 2
	}
	return linePlotLeft + float64(i)*(linePlotRight-linePlotLeft)/float64(n-1)
}

// valueY is the height of v on a scale from 0 (bottom) to top.
func valueY(v, top int64) float64 {
	return linePlotBottom - float64(max(v, 0))/float64(top)*(linePlotBottom-linePlotTop)
}

// xLabels labels the first, middle and last points (as many as there
// are, up to three), anchored so none runs off the drawing.
func xLabels(points []ChartItem) []svgLabel {
	y := svgNum(linePlotBottom + 18)
	n := len(points)
	if n == 1 {
		return []svgLabel{{X: svgNum(pointX(0, 1)), Y: y, Anchor: "middle", Label: points[0].Label}}
	}
	out := []svgLabel{{X: svgNum(pointX(0, n)), Y: y, Anchor: "start", Label: points[0].Label}}
	if n >= 5 {
		m := n / 2
		out = append(out, svgLabel{X: svgNum(pointX(m, n)), Y: y, Anchor: "middle", Label: points[m].Label})
	}
	return append(out, svgLabel{X: svgNum(pointX(n-1, n)), Y: y, Anchor: "end", Label: points[n-1].Label})
}
