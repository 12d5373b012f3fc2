package letters

import (
	"strings"

	"github.com/cambodia-sanctions/campaign/internal/pdf"
)

// linePrefixes maps the start of a template line to its block style; the
// longest prefixes come first.
var linePrefixes = []struct {
	prefix string
	style  pdf.Style
}{
	{"## ", pdf.StyleHeading},
	{"# ", pdf.StyleTitle},
	{">> ", pdf.StyleRight},
	{"- ", pdf.StyleBullet},
	{"| ", pdf.StyleAddress},
	{"~ ", pdf.StyleSmall},
	{"` ", pdf.StyleMono},
}

// ParseBlocks turns the text a letter template wrote into blocks (see the
// package's template notes for the markup). Each marked line is a block of
// its own; unmarked lines join into a paragraph until a blank or marked
// line. Leading and trailing spaces are dropped.
func ParseBlocks(text string) []pdf.Block {
	var out []pdf.Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, pdf.Block{Style: pdf.StyleBody, Text: strings.Join(para, " ")})
			para = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			flush()
			continue
		}
		if line == "+++" {
			flush()
			out = append(out, pdf.Block{Style: pdf.StylePageBreak})
			continue
		}
		if style, text, ok := marked(line); ok {
			flush()
			if text != "" || style == pdf.StyleAddress {
				out = append(out, pdf.Block{Style: style, Text: text})
			}
			continue
		}
		para = append(para, line)
	}
	flush()
	return out
}

// marked reports the style of a marked line and its text. A marker alone
// on a line ("#", "|") counts as marked with no text.
func marked(line string) (pdf.Style, string, bool) {
	for _, p := range linePrefixes {
		if strings.HasPrefix(line+" ", p.prefix) {
			return p.style, strings.TrimSpace(strings.TrimPrefix(line+" ", p.prefix)), true
		}
	}
	return 0, "", false
}
