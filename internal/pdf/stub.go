package pdf

import (
	"io"
	"io/fs"
)

// TEMPORARY: replaced by the real implementation (fonts.go, layout.go, writer.go).
type fontsImpl struct{}
type rendererImpl struct{}

func loadFonts(fs.FS) (*Fonts, error) { return &Fonts{impl: &fontsImpl{}}, nil }
func newRenderer(f *Fonts) *Renderer  { return &Renderer{impl: &rendererImpl{}} }
func (r *Renderer) render(io.Writer, PageSize, Meta, []Block) error {
	return ErrNotImplemented
}
