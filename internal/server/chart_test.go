package server_test

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/server"
)

// svgNode is an element of a parsed chart.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) num(t *testing.T, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: not a number", n.XMLName.Local, name, n.attr(name))
	}
	return f
}

// all returns the descendants named name, in document order.
func (n svgNode) all(name string) []svgNode {
	var out []svgNode
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// parseSVG parses a chart strictly as XML, failing the test when it is not
// well-formed or not an <svg>.
func parseSVG(t *testing.T, chart string) svgNode {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal([]byte(chart), &root); err != nil {
		t.Fatalf("chart is not well-formed XML: %v\n%s", err, chart)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("chart's root element is <%s>, want <svg>", root.XMLName.Local)
	}
	return root
}

func TestBarChartIsAnImageWithATextAlternative(t *testing.T) {
	out := string(server.BarChart([]server.ChartItem{{"Cambodia", 3}, {"France", 2}}, "Signatures by country", "Cambodia 3, France 2."))
	svg := parseSVG(t, out)
	if svg.attr("role") != "img" {
		t.Errorf("role=%q, want img", svg.attr("role"))
	}
	if svg.attr("width") != "100%" || !strings.HasPrefix(svg.attr("viewBox"), "0 0 320 ") {
		t.Errorf("width=%q viewBox=%q; want 100%% of its box and a 320-unit-wide drawing", svg.attr("width"), svg.attr("viewBox"))
	}
	if !strings.Contains(svg.attr("class"), "chart") {
		t.Errorf("class=%q lacks chart", svg.attr("class"))
	}
	titles, descs := svg.all("title"), svg.all("desc")
	if len(titles) != 1 || titles[0].Text != "Signatures by country" {
		t.Errorf("titles %+v, want one: Signatures by country", titles)
	}
	if len(descs) != 1 || descs[0].Text != "Cambodia 3, France 2." {
		t.Errorf("descs %+v, want one: Cambodia 3, France 2.", descs)
	}
	// aria-labelledby names the title and the description.
	ids := strings.Fields(svg.attr("aria-labelledby"))
	if len(ids) != 2 || len(titles) != 1 || len(descs) != 1 || ids[0] != titles[0].attr("id") || ids[1] != descs[0].attr("id") {
		t.Errorf("aria-labelledby=%q does not point at the title and desc", svg.attr("aria-labelledby"))
	}
	if strings.Contains(out, "style=") || strings.Contains(out, "<script") {
		t.Errorf("chart has a style attribute or a script, which the CSP refuses:\n%s", out)
	}
	var labels []string
	for _, tx := range svg.all("text") {
		labels = append(labels, tx.Text)
	}
	if got, want := strings.Join(labels, "|"), "Cambodia|3|France|2"; got != want {
		t.Errorf("chart labels %q, want %q", got, want)
	}
}

func TestBarChartBarsAreProportionalToValues(t *testing.T) {
	items := []server.ChartItem{{"A", 40}, {"B", 10}, {"C", 30}, {"D", 1}}
	svg := parseSVG(t, string(server.BarChart(items, "t", "d")))
	bars := svg.all("rect")
	if len(bars) != len(items) {
		t.Fatalf("%d bars, want one per item (%d)", len(bars), len(items))
	}
	longest := bars[0].num(t, "width")
	if longest < 200 {
		t.Errorf("the largest bar is %.1f units long, want most of the 320-unit width", longest)
	}
	prevY := -1.0
	for i, b := range bars {
		if b.attr("class") != "bar" {
			t.Errorf("bar %d has class %q, want bar", i, b.attr("class"))
		}
		want := longest * float64(items[i].Value) / 40
		if got := b.num(t, "width"); math.Abs(got-want) > 0.02 {
			t.Errorf("bar %s is %.2f long, want %.2f (%d/40 of the largest)", items[i].Label, got, want, items[i].Value)
		}
		if y := b.num(t, "y"); y <= prevY {
			t.Errorf("bar %d at y=%.1f is not below the one before (y=%.1f)", i, y, prevY)
		}
		prevY = b.num(t, "y")
	}
	vb := strings.Fields(svg.attr("viewBox"))
	if h, _ := strconv.ParseFloat(vb[3], 64); h < prevY+bars[len(bars)-1].num(t, "height") {
		t.Errorf("viewBox height %s cuts off the last bar at y=%.1f", vb[3], prevY)
	}
}

func TestChartsEscapeLabels(t *testing.T) {
	evil := `<script>alert("x")</script> & 'co'`
	charts := map[string]string{
		"bar":  string(server.BarChart([]server.ChartItem{{evil, 2}}, evil, evil)),
		"line": string(server.LineChart([]server.ChartItem{{evil, 1}, {"b", 2}}, evil, evil)),
	}
	for name, out := range charts {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "<script") || strings.Contains(out, `"x"`) {
				t.Fatalf("label reached the page unescaped:\n%s", out)
			}
			svg := parseSVG(t, out)
			if got := svg.all("title")[0].Text; got != evil {
				t.Errorf("title reads %q, want the label as text %q", got, evil)
			}
			if got := svg.all("text")[0].Text; name == "bar" && got != evil {
				t.Errorf("bar label reads %q, want %q", got, evil)
			}
			found := false
			for _, tx := range svg.all("text") {
				found = found || tx.Text == evil
			}
			if !found {
				t.Errorf("no label reads %q", evil)
			}
		})
	}
}

func TestChartsWithNothingToDrawShowTheirDescription(t *testing.T) {
	const desc = "No confirmed signatures yet <yet>."
	cases := map[string]string{
		"bar, no items":   string(server.BarChart(nil, "Countries", desc)),
		"bar, all zero":   string(server.BarChart([]server.ChartItem{{"Cambodia", 0}}, "Countries", desc)),
		"line, no points": string(server.LineChart(nil, "Days", desc)),
		"line, all zero":  string(server.LineChart([]server.ChartItem{{"2026-03-01", 0}, {"2026-03-02", 0}}, "Days", desc)),
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "<svg") {
				t.Errorf("an empty chart was drawn instead of a message:\n%s", out)
			}
			if want := "No confirmed signatures yet &lt;yet&gt;."; !strings.Contains(out, want) {
				t.Errorf("empty state %q does not show the (escaped) description %q", out, want)
			}
			if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Errorf("empty state has broken numbers: %s", out)
			}
		})
	}
}

func TestLineChartHasAPointForEveryValueIncludingZeros(t *testing.T) {
	points := []server.ChartItem{{"2026-03-01", 3}, {"2026-03-02", 0}, {"2026-03-03", 0}, {"2026-03-04", 6}, {"2026-03-05", 1}}
	out := string(server.LineChart(points, "By day", "desc"))
	svg := parseSVG(t, out)
	if svg.attr("role") != "img" || len(svg.all("title")) != 1 || len(svg.all("desc")) != 1 {
		t.Errorf("line chart lacks role=img, a title or a desc:\n%s", out)
	}
	lines := svg.all("polyline")
	if len(lines) != 1 || lines[0].attr("class") != "line" {
		t.Fatalf("want one polyline of class line, got %+v", lines)
	}
	pairs := strings.Fields(lines[0].attr("points"))
	if len(pairs) != len(points) {
		t.Fatalf("polyline has %d points, want %d (one per day, zeros included)", len(pairs), len(points))
	}
	var xs, ys []float64
	for _, p := range pairs {
		x, y, ok := strings.Cut(p, ",")
		fx, err1 := strconv.ParseFloat(x, 64)
		fy, err2 := strconv.ParseFloat(y, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", p)
		}
		xs, ys = append(xs, fx), append(ys, fy)
	}
	for i := 1; i < len(xs); i++ {
		if step, first := xs[i]-xs[i-1], xs[1]-xs[0]; step <= 0 || math.Abs(step-first) > 0.02 {
			t.Errorf("points are not evenly spaced left to right: %v", xs)
			break
		}
	}
	bottom, top := ys[1], ys[3]
	if ys[2] != bottom || top >= bottom {
		t.Errorf("zero days should sit on the baseline, the largest above them: ys %v", ys)
	}
	// Heights are proportional: 3 is half of 6, 1 a sixth.
	for i, p := range points {
		want := bottom - (bottom-top)*float64(p.Value)/6
		if math.Abs(ys[i]-want) > 0.02 {
			t.Errorf("%s (%d) at y=%.2f, want %.2f", p.Label, p.Value, ys[i], want)
		}
	}
	if n := len(svg.all("circle")); n != len(points) {
		t.Errorf("%d dots, want %d", n, len(points))
	}
	var labels []string
	for _, tx := range svg.all("text") {
		labels = append(labels, tx.Text)
	}
	if got, want := strings.Join(labels, "|"), "0|6|2026-03-01|2026-03-03|2026-03-05"; got != want {
		t.Errorf("axis labels %q, want %q", got, want)
	}
}

func TestLineChartWithOneDayDrawsADot(t *testing.T) {
	svg := parseSVG(t, string(server.LineChart([]server.ChartItem{{"2026-03-01", 4}}, "By day", "desc")))
	if n := len(svg.all("circle")); n != 1 {
		t.Errorf("%d dots for one day, want 1", n)
	}
	if len(svg.all("polyline")) != 0 {
		t.Error("a one-point polyline draws nothing; want only the dot")
	}
}

func TestBarChartShortensLabelsThatWouldNotFit(t *testing.T) {
	long := strings.Repeat("South Georgia and the South Sandwich Islands ", 2)
	svg := parseSVG(t, string(server.BarChart([]server.ChartItem{{long, 1}}, "t", "d")))
	got := svg.all("text")[0].Text
	if len([]rune(got)) > 44 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("label %q: want at most 44 characters, cut with an ellipsis", got)
	}
}
