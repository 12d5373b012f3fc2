package server

import (
	"crypto/sha256"
	"encoding/hex"
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
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, dir+"/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.urls[name] = "/static/" + hashed
		a.files[hashed] = asset{body: body, contentType: ct}
		return nil
	})
	return a, err
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
