package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// The page cache keeps the article and petition pages rendered once per
// language and petition, split around their live parts: the counts, the
// by-country figures and the form's fill-time token. A request only fills
// those in, so a viral page view costs a few copies and no database query.
// The cache is keyed by the catalog generation, so a content change
// renders the pages again.

// Markers carry a random per-process nonce, so text in a petition (an
// organizer could type "@@dyn:x@@" into a title) can never be taken for
// one: it would need to guess the nonce.
const markerClose = "@@"

// newMarkerOpen returns the opening of this process's markers.
func newMarkerOpen() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "@@dyn" + hex.EncodeToString(b[:]) + ":"
}

// marker is the placeholder for one live part, as templates emit it.
func (s *Server) marker(kind string, id int64) template.HTML {
	return template.HTML(s.cache.markerOpen + kind + ":" + strconv.FormatInt(id, 10) + markerClose)
}

type pageCache struct {
	mu    sync.RWMutex
	pages map[string]*cachedPage
	live  map[liveKey]liveEntry // rendered counts and figures, until the tally moves
	// markerOpen starts every placeholder: "@@dyn<nonce>:".
	markerOpen string
	bufs       sync.Pool
}

type liveKey struct {
	kind string
	id   int64
	lang string
}

type liveEntry struct {
	version uint64
	gen     uint64
	html    []byte
}

// cachedPage is static HTML parts with a live slot between each two.
type cachedPage struct {
	parts [][]byte
	slots []slot
	lang  string
}

type slot struct {
	kind string // count, figures or token
	id   int64  // petition id for count and figures
}

func newPageCache() *pageCache {
	return &pageCache{markerOpen: newMarkerOpen(), pages: map[string]*cachedPage{}, live: map[liveKey]liveEntry{}, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// renderCached serves a page from the cache, building it with build on a
// miss. build returns the page template name and its data, rendered with
// Base.Cached set.
func (s *Server) renderCached(c *gin.Context, key string, build func(b Base) (string, any)) {
	b := s.base(c, "")
	b.Cached = true
	key = fmt.Sprintf("%s|%s|%d|%s", key, b.Lang, s.Petitions.Generation(), s.openStates())
	s.cache.mu.RLock()
	cp := s.cache.pages[key]
	s.cache.mu.RUnlock()
	if cp == nil {
		page, data := build(b)
		html, err := s.execute(page, data)
		if err != nil {
			s.Logger.Error("render page", "page", page, "err", err, "request_id", requestIDOf(c))
			s.renderError(c, http.StatusInternalServerError, "error.internal")
			return
		}
		cp = splitPage(html, s.cache.markerOpen)
		cp.lang = b.Lang
		s.cache.mu.Lock()
		if len(s.cache.pages) > 1000 { // stale generations; never grows unbounded
			clear(s.cache.pages)
		}
		s.cache.pages[key] = cp
		s.cache.mu.Unlock()
	}
	buf := s.cache.bufs.Get().(*bytes.Buffer)
	defer s.cache.bufs.Put(buf)
	buf.Reset()
	live := b
	live.Cached = false
	for i, part := range cp.parts {
		buf.Write(part)
		if i < len(cp.slots) {
			if err := s.fillSlot(buf, live, cp.slots[i]); err != nil {
				s.Logger.Error("render live part", "err", err, "request_id", requestIDOf(c))
				s.renderError(c, http.StatusInternalServerError, "error.internal")
				return
			}
		}
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Language, Cookie")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(buf.Bytes())
}

func (s *Server) fillSlot(buf *bytes.Buffer, b Base, sl slot) error {
	t := s.pages.sets["home"] // every set holds the partials
	switch sl.kind {
	case "token":
		buf.WriteString(s.Vault.FormToken(s.Now()))
		return nil
	case "count", "figures":
		p, ok := s.Petitions.ByID(sl.id)
		if !ok {
			return nil
		}
		key := liveKey{kind: sl.kind, id: sl.id, lang: b.Lang}
		version, gen := s.Counter.Get(p.ID).Version, s.Petitions.Generation()
		s.cache.mu.RLock()
		e, ok := s.cache.live[key]
		s.cache.mu.RUnlock()
		if ok && e.version == version && e.gen == gen {
			buf.Write(e.html)
			return nil
		}
		var out bytes.Buffer
		v := s.view(p, b.Lang)
		var err error
		if sl.kind == "count" {
			err = t.ExecuteTemplate(&out, "count_live", countOf(b, v))
		} else {
			err = t.ExecuteTemplate(&out, "figures_live", s.figuresOf(b, v))
		}
		if err != nil {
			return err
		}
		s.cache.mu.Lock()
		s.cache.live[key] = liveEntry{version: v.Version, gen: gen, html: out.Bytes()}
		s.cache.mu.Unlock()
		buf.Write(out.Bytes())
		return nil
	}
	return fmt.Errorf("unknown live slot %q", sl.kind)
}

// openStates is part of the cache key: a petition that opens or closes by
// its dates changes its pages without any content change.
func (s *Server) openStates() string {
	now := s.Now()
	var b strings.Builder
	for _, p := range s.Petitions.All() {
		if p.IsOpenAt(now) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// splitPage cuts rendered HTML at its markers.
func splitPage(html []byte, markerOpen string) *cachedPage {
	cp := &cachedPage{}
	rest := html
	for {
		i := bytes.Index(rest, []byte(markerOpen))
		if i < 0 {
			break
		}
		j := bytes.Index(rest[i+len(markerOpen):], []byte(markerClose))
		if j < 0 {
			break
		}
		spec := string(rest[i+len(markerOpen) : i+len(markerOpen)+j])
		kind, idText, _ := strings.Cut(spec, ":")
		id, _ := strconv.ParseInt(idText, 10, 64)
		cp.parts = append(cp.parts, rest[:i])
		cp.slots = append(cp.slots, slot{kind: kind, id: id})
		rest = rest[i+len(markerOpen)+j+len(markerClose):]
	}
	cp.parts = append(cp.parts, rest)
	return cp
}
