package content

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// RenderMarkdown renders campaign Markdown (the article, petition bodies,
// the console's preview) to HTML that is safe to put in a page as is:
//
//   - raw HTML in the source is left out (goldmark replaces it with an
//     "<!-- raw HTML omitted -->" comment, since html.WithUnsafe is not set);
//   - a link survives only with an http, https or mailto URL or a relative
//     one; any other link (javascript:, data:, vbscript:, file:, …) is
//     reduced to its text;
//   - links to other sites get rel="noopener noreferrer";
//   - an image must be on this site (a relative URL): an image elsewhere
//     becomes a link to it, because the pages make no third-party request
//     (SPEC §7), and an image with any other URL is reduced to its text.
//
// Tables, strikethrough and bare http(s) URLs (linkify) are supported;
// headings get no ids.
func RenderMarkdown(src string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := newMarkdown().Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil // #nosec G203 -- sanitized as described above
}

// newMarkdown builds the converter. It is cheap next to a conversion, and a
// fresh one per call keeps the package free of shared state.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.Table,
			extension.Strikethrough,
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(linkPolicy{}, 1000)),
		),
	)
}

// urlKind says what linkPolicy may do with a URL.
type urlKind int

const (
	urlUnsafe   urlKind = iota // any other scheme, or not a URL: drop it
	urlLocal                   // relative: this site
	urlExternal                // http, https or protocol-relative: another site
	urlMail                    // mailto
)

// classifyURL allows by scheme rather than denying known-bad ones, so a
// scheme nobody thought of cannot slip through.
func classifyURL(dest []byte) urlKind {
	u, err := url.Parse(string(dest)) // rejects control characters, so "java\tscript:" fails here
	if err != nil {
		return urlUnsafe
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		if u.Host != "" {
			return urlExternal // "//example.org/x"
		}
		return urlLocal
	case "http", "https":
		return urlExternal
	case "mailto":
		return urlMail
	default:
		return urlUnsafe
	}
}

// rendered returns a link destination as the HTML renderer will write it,
// character references resolved: "javascript&#58;…" must be judged as
// "javascript:…".
func rendered(dest []byte) []byte {
	return util.URLEscape(dest, true)
}

// externalRel is set on links to other sites: the page that opens must not
// get a handle on ours, nor learn which page sent the reader.
var externalRel = []byte("noopener noreferrer")

// linkPolicy is a goldmark AST transformer that applies the link and image
// rules of RenderMarkdown.
type linkPolicy struct{}

// Transform implements parser.ASTTransformer.
func (linkPolicy) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	// Collect first: changing the tree while walking it would skip nodes.
	var nodes []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n.Kind() {
			case ast.KindLink, ast.KindAutoLink, ast.KindImage:
				nodes = append(nodes, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range nodes {
		switch n := n.(type) {
		case *ast.Link:
			applyLinkPolicy(n)
		case *ast.AutoLink:
			applyAutoLinkPolicy(n, source)
		case *ast.Image:
			applyImagePolicy(n)
		}
	}
}

func applyLinkPolicy(n *ast.Link) {
	switch classifyURL(rendered(n.Destination)) {
	case urlExternal:
		n.SetAttributeString("rel", externalRel)
	case urlUnsafe:
		unwrap(n)
	}
}

func applyAutoLinkPolicy(n *ast.AutoLink, source []byte) {
	if n.AutoLinkType == ast.AutoLinkEmail {
		return // rendered as mailto:
	}
	switch classifyURL(n.URL(source)) {
	case urlExternal:
		n.SetAttributeString("rel", externalRel)
	case urlUnsafe, urlLocal:
		// An autolink always has a scheme; "<javascript:…>" becomes text.
		s := ast.NewString(n.Label(source))
		s.SetRaw(true) // written as is, HTML-escaped
		n.Parent().ReplaceChild(n.Parent(), n, s)
	}
}

func applyImagePolicy(n *ast.Image) {
	switch classifyURL(rendered(n.Destination)) {
	case urlLocal:
		return
	case urlExternal:
		if insideLink(n) {
			unwrap(n) // a link may not hold a link: keep the alt text
			return
		}
		link := ast.NewLink()
		link.Destination = n.Destination
		link.Title = n.Title
		link.SetAttributeString("rel", externalRel)
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			link.AppendChild(link, c)
			c = next
		}
		if !link.HasChildren() {
			s := ast.NewString(n.Destination)
			s.SetRaw(true)
			link.AppendChild(link, s)
		}
		n.Parent().ReplaceChild(n.Parent(), n, link)
	default:
		unwrap(n)
	}
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink {
			return true
		}
	}
	return false
}

// unwrap replaces n by its children: the link text stays, the link goes.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}
