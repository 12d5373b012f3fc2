package content

import (
	"regexp"
	"strings"
	"testing"
)

func render(t *testing.T, src string) string {
	t.Helper()
	html, err := RenderMarkdown(src)
	if err != nil {
		t.Fatalf("RenderMarkdown(%q): %v", src, err)
	}
	return string(html)
}

// Raw HTML written in an article or a petition must never reach the page.
func TestRenderMarkdownOmitsRawHTML(t *testing.T) {
	tests := []struct {
		name, src string
		banned    []string
	}{
		{"script block", "<script>alert(1)</script>", []string{"<script", "</script>"}},
		{"script inline", "Hello <script>alert(1)</script> world", []string{"<script", "</script>"}},
		{"script in a list", "- item <script>alert(1)</script>", []string{"<script"}},
		{"image with handler", `<img src="x" onerror="alert(1)">`, []string{"<img", "onerror"}},
		{"iframe", `<iframe src="https://example.org"></iframe>`, []string{"<iframe"}},
		{"style", "<style>body{display:none}</style>", []string{"<style"}},
		{"link with handler", `<a href="#" onclick="alert(1)">x</a>`, []string{"onclick", "<a "}},
		{"script in a table", "| a |\n|---|\n| <script>alert(1)</script> |", []string{"<script"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.src)
			for _, b := range tt.banned {
				if strings.Contains(strings.ToLower(got), b) {
					t.Errorf("RenderMarkdown(%q) = %q; contains %q, raw HTML must be left out", tt.src, got, b)
				}
			}
		})
	}
}

var hrefOrSrc = regexp.MustCompile(`(?i)(?:href|src)="([^"]*)"`)

// safeURL is what a rendered href or src may hold: http, https, mailto or
// a URL with no scheme at all (a relative one, or empty).
func safeURL(u string) bool {
	lower := strings.ToLower(u)
	for _, p := range []string{"http:", "https:", "mailto:"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	// A scheme is whatever comes before a ':' that precedes any '/', '?' or '#'.
	i := strings.IndexAny(lower, ":/?#")
	return i < 0 || lower[i] != ':'
}

func TestRenderMarkdownDropsDangerousLinks(t *testing.T) {
	tests := []struct {
		name, src, text string // text: the link text that must remain
	}{
		{"javascript", "[x](javascript:alert(1))", "x"},
		{"javascript mixed case", "[click](JaVaScRiPt:alert(1))", "click"},
		{"javascript entity", "[x](javascript&#58;alert(1))", "x"},
		{"javascript angle brackets", "[x](<javascript:alert(1)>)", "x"},
		{"vbscript", "[x](vbscript:msgbox(1))", "x"},
		{"data", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x"},
		{"file", "[x](file:///etc/passwd)", "x"},
		{"ftp", "[x](ftp://example.org/file)", "x"},
		{"autolink javascript", "<javascript:alert(1)>", "javascript:alert(1)"},
		{"reference link", "[x][r]\n\n[r]: javascript:alert(1)", "x"},
		{"image javascript", "![pic](javascript:alert(1))", "pic"},
		{"image data", "![pic](data:image/png;base64,iVBORw0KGgo=)", "pic"},
		{"linked image", "[![pic](javascript:alert(1))](javascript:alert(2))", "pic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.src)
			if strings.Contains(strings.ToLower(got), "javascript:") && strings.Contains(got, "href") {
				t.Errorf("RenderMarkdown(%q) = %q; a javascript: URL is still linked", tt.src, got)
			}
			for _, m := range hrefOrSrc.FindAllStringSubmatch(got, -1) {
				if !safeURL(m[1]) {
					t.Errorf("RenderMarkdown(%q) = %q; URL %q is not http, https, mailto or relative", tt.src, got, m[1])
				}
			}
			if !strings.Contains(got, tt.text) {
				t.Errorf("RenderMarkdown(%q) = %q; the text %q was lost with the link", tt.src, got, tt.text)
			}
		})
	}
}

func TestRenderMarkdownLinks(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"external https", "[HRW](https://www.hrw.org/asia/cambodia)",
			`<a href="https://www.hrw.org/asia/cambodia" rel="noopener noreferrer">HRW</a>`},
		{"external http", "[x](http://example.org)",
			`<a href="http://example.org" rel="noopener noreferrer">x</a>`},
		{"protocol-relative", "[x](//example.org/a)",
			`<a href="//example.org/a" rel="noopener noreferrer">x</a>`},
		{"with title", `[x](https://example.org "Example")`,
			`<a href="https://example.org" title="Example" rel="noopener noreferrer">x</a>`},
		{"relative", "[privacy](/privacy)", `<a href="/privacy">privacy</a>`},
		{"fragment", "[top](#top)", `<a href="#top">top</a>`},
		{"mailto", "[write](mailto:team@example.org)", `<a href="mailto:team@example.org">write</a>`},
		{"bare URL", "See https://example.org/report today.",
			`<a href="https://example.org/report" rel="noopener noreferrer">https://example.org/report</a>`},
		{"bare www", "See www.example.org today.",
			`<a href="http://www.example.org" rel="noopener noreferrer">www.example.org</a>`},
		{"angle autolink", "<https://example.org>",
			`<a href="https://example.org" rel="noopener noreferrer">https://example.org</a>`},
		{"email autolink", "<team@example.org>", `<a href="mailto:team@example.org">team@example.org</a>`},
		{"local image", "![map](/static/map.png)", `<img src="/static/map.png" alt="map">`},
		// The pages make no third-party request: an image elsewhere becomes a link.
		{"external image", "![map](https://example.org/map.png)",
			`<a href="https://example.org/map.png" rel="noopener noreferrer">map</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, tt.src); !strings.Contains(got, tt.want) {
				t.Errorf("RenderMarkdown(%q)\n got: %q\nwant it to contain: %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestRenderMarkdownFormatting(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"bold", "**bold**", "<strong>bold</strong>"},
		{"emphasis", "*word*", "<em>word</em>"},
		{"strikethrough", "~~gone~~", "<del>gone</del>"},
		{"heading without id", "# Free them", "<h1>Free them</h1>"},
		{"list", "- one\n- two", "<li>one</li>\n<li>two</li>"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"},
		{"paragraphs", "one\n\ntwo", "<p>one</p>\n<p>two</p>"},
		{"escaped text", "5 < 6 & 7 > 3", "5 &lt; 6 &amp; 7 &gt; 3"},
		{"khmer", "សេរីភាព", "<p>សេរីភាព</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, tt.src); !strings.Contains(got, tt.want) {
				t.Errorf("RenderMarkdown(%q)\n got: %q\nwant it to contain: %q", tt.src, got, tt.want)
			}
		})
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"**bold**", "[x](javascript:alert(1))", "<script>alert(1)</script>", "![a](https://e.org/a.png)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got, err := RenderMarkdown(src)
		if err != nil {
			t.Fatalf("RenderMarkdown(%q): %v", src, err)
		}
		if strings.Contains(strings.ToLower(string(got)), "<script") {
			t.Errorf("RenderMarkdown(%q) = %q; contains a script tag", src, got)
		}
		for _, m := range hrefOrSrc.FindAllStringSubmatch(string(got), -1) {
			if !safeURL(m[1]) {
				t.Errorf("RenderMarkdown(%q) = %q; URL %q is not http, https, mailto or relative", src, got, m[1])
			}
		}
	})
}
