package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// assetSet serves embedded static files under fingerprinted names
// (style.3f9a1c2b.css), so they can be cached for a year and still change
// the moment a new release ships.
type assetSet struct {
	urls  map[string]string // logical name → URL
	files map[string]asset  // fingerprinted name → content
}

type asset struct {
	body        []byte
	contentType string
}

func loadAssets(fsys fs.FS, dir string) (*assetSet, error) {
	a := &assetSet{urls: map[string]string{}, files: map[string]asset{}}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, dir+"/")
		ext := path.Ext(name)
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.add(name, body, ct)
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.add("fonts.css", []byte(fontFaces(a)), "text/css; charset=utf-8")
	return a, nil
}

// add registers one asset under its fingerprinted name.
func (a *assetSet) add(name string, body []byte, contentType string) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
	a.urls[name] = "/static/" + hashed
	a.files[hashed] = asset{body: body, contentType: contentType}
}

// fontFaces is a stylesheet declaring the Khmer and Thai fonts served by
// this site (no font service). unicode-range makes a browser fetch a font
// only for a page that has text in that script.
func fontFaces(a *assetSet) string {
	// A device that has the font already (most phones do) uses its own copy
	// (local()) and downloads nothing.
	faces := []struct{ family, local, file, ranges string }{
		{"Campaign Khmer", `local("Noto Sans Khmer"), local("NotoSansKhmer-Regular"), `,
			"fonts/NotoSansKhmer-Regular.ttf", "U+1780-17FF, U+19E0-19FF, U+200B-200D, U+25CC"},
		{"Campaign Thai", `local("Noto Sans Thai"), local("NotoSansThai-Regular"), `,
			"fonts/NotoSansThai-Regular.ttf", "U+0E01-0E5B, U+200B-200D, U+25CC"},
	}
	var b strings.Builder
	for _, f := range faces {
		if _, ok := a.urls[f.file]; !ok {
			continue
		}
		fmt.Fprintf(&b, "@font-face { font-family: %q; src: %surl(%q) format(\"truetype\"); font-display: swap; unicode-range: %s; }\n",
			f.family, f.local, a.urls[f.file], f.ranges)
	}
	return b.String()
}

// URL returns the fingerprinted URL of a static file; an unknown name
// returns a URL that 404s, which tests catch.
func (a *assetSet) URL(name string) string {
	if u, ok := a.urls[name]; ok {
		return u
	}
	return "/static/missing/" + name
}

func (s *Server) handleStatic(c *gin.Context) {
	f, ok := s.assets.files[strings.TrimPrefix(c.Param("file"), "/")]
	if !ok {
		s.handleNotFound(c)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, f.contentType, f.body)
}
