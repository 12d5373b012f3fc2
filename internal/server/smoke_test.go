package server_test

import (
	"net/http"
	"testing"
)

func TestSignFormFlow(t *testing.T) {
	e := newEnv(t)
	w := e.postForm("open-petition", e.validForm("dara@example.org"))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/petitions/open-petition/thanks" {
		t.Fatalf("sign: status %d location %q, want 303 to thanks; body %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if e.storedCount() != 1 {
		t.Fatalf("stored %d signatures, want 1", e.storedCount())
	}
	cookie := w.Result().Cookies()[0]
	th := e.get("/petitions/open-petition/thanks", "Cookie", cookie.Name+"="+cookie.Value)
	mustContain(t, th.Body.String(), cookie.Value)
	home := e.get("/")
	mustContain(t, home.Body.String(), "1 person has signed")
}
