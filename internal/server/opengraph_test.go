package server_test

import (
	"bytes"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// metas returns a page's <meta property=…> and <meta name=…> contents by
// property or name; repeated ones in order.
func metas(body string) map[string][]string {
	out := map[string][]string{}
	for _, m := range tagsNamed(body, "meta") {
		key := m.attrs["property"]
		if key == "" {
			key = m.attrs["name"]
		}
		if key != "" {
			out[key] = append(out[key], m.attrs["content"])
		}
	}
	return out
}

func TestOpenGraphTags(t *testing.T) {
	e := newEnv(t, withTranslations(testTranslations), withBaseURL("https://sign.campaign.test"))
	tests := []struct {
		target                  string
		title, description, url string
		locale                  string
		alternates              []string
	}{
		{"/", "The article title", "A petition used in tests.", "https://sign.campaign.test/",
			"en_US", []string{"fr_FR", "km_KH", "th_TH"}},
		{"/?lang=km", "The article title", "ញត្តិសម្រាប់ការសាកល្បង។", "https://sign.campaign.test/?lang=km",
			"km_KH", []string{"en_US", "fr_FR", "th_TH"}},
		{"/petitions/open-petition", "Free the prisoners", "A petition used in tests.", "https://sign.campaign.test/petitions/open-petition",
			"en_US", []string{"fr_FR", "km_KH", "th_TH"}},
		{"/petitions/open-petition?lang=fr", "Libérez les prisonniers", "Une pétition pour les tests.",
			"https://sign.campaign.test/petitions/open-petition?lang=fr", "fr_FR", []string{"en_US", "km_KH", "th_TH"}},
		{"/petitions/open-petition?lang=th", "Free the prisoners", "A petition used in tests.",
			"https://sign.campaign.test/petitions/open-petition?lang=th", "th_TH", []string{"en_US", "fr_FR", "km_KH"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := e.get(tt.target)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			m := metas(w.Body.String())
			for key, want := range map[string]string{
				"og:type": "website", "og:title": tt.title, "og:description": tt.description, "og:url": tt.url,
				"og:locale": tt.locale, "og:image:width": "1200", "og:image:height": "630", "og:image:type": "image/png",
				"twitter:card": "summary_large_image", "twitter:title": tt.title, "twitter:description": tt.description,
			} {
				if got := m[key]; len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if got := m["og:locale:alternate"]; !slices.Equal(got, tt.alternates) {
				t.Errorf("og:locale:alternate = %q, want %q", got, tt.alternates)
			}
			if len(m["og:image:alt"]) != 1 || m["og:image:alt"][0] == "" || len(m["twitter:image:alt"]) != 1 {
				t.Errorf("image without a text alternative: og %q, twitter %q", m["og:image:alt"], m["twitter:image:alt"])
			}
			// Every address in the tags is this site's own.
			for key, values := range m {
				for _, v := range values {
					if strings.Contains(v, "://") && !strings.HasPrefix(v, "https://sign.campaign.test/") {
						t.Errorf("%s = %q: a preview must name nothing but this site", key, v)
					}
				}
			}
			// The image is served by the site: the campaign's 1200×630 card.
			image := m["og:image"]
			if len(image) != 1 || !strings.HasPrefix(image[0], "https://sign.campaign.test/static/og-image.") || m["twitter:image"][0] != image[0] {
				t.Fatalf("og:image %q, twitter:image %q; want the site's own card under /static", image, m["twitter:image"])
			}
			img := e.get(strings.TrimPrefix(image[0], "https://sign.campaign.test"))
			if img.Code != http.StatusOK || img.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("GET og:image: status %d, Content-Type %q", img.Code, img.Header().Get("Content-Type"))
			}
			if cfg, err := png.DecodeConfig(bytes.NewReader(img.Body.Bytes())); err != nil || cfg.Width != 1200 || cfg.Height != 630 {
				t.Errorf("og:image is %dx%d (%v), want a 1200×630 PNG", cfg.Width, cfg.Height, err)
			}
		})
	}
	// Pages not meant to be shared carry no preview.
	for _, target := range []string{"/privacy", "/withdraw", "/embed/open-petition"} {
		if m := metas(e.get(target).Body.String()); len(m["og:title"]) > 0 || len(m["twitter:card"]) > 0 {
			t.Errorf("%s has link preview tags", target)
		}
	}
}
