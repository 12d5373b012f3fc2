package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bigForm is a valid form whose comment pushes the body past MaxBodyBytes
// (64 KiB in the test env).
func bigForm(e *env) string {
	f := e.validForm("dara@example.org")
	f.Set("comment", strings.Repeat("x", 70<<10))
	return f.Encode()
}

func bigJSON() string {
	return `{"name":"Sok Dara","email":"dara@example.org","country":"KH","comment":"` + strings.Repeat("x", 70<<10) + `"}`
}

// checkRequestError asserts a refused request: the status, a page or JSON
// depending on the client, the message, and nothing stored.
func checkRequestError(t *testing.T, e *env, w *httptest.ResponseRecorder, status int, asJSON bool, key string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %.300s", w.Code, status, w.Body)
	}
	msg := e.msgs.T("en", key)
	if asJSON {
		var got struct {
			Errors map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %.300s is not {\"errors\":{...}}: %v", w.Body, err)
		}
		if got.Errors["request"] != msg {
			t.Errorf("errors %v, want request: %q", got.Errors, msg)
		}
	} else {
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q, want an HTML page", ct)
		}
		mustContain(t, w.Body.String(), e.msg(key))
	}
	if n := e.storedCount(); n != 0 {
		t.Errorf("stored %d signatures, want 0", n)
	}
}

func TestBodyTooLarge(t *testing.T) {
	tests := []struct {
		name    string
		ct      string
		body    func(e *env) string
		chunked bool
		asJSON  bool
	}{
		{"form with Content-Length", "application/x-www-form-urlencoded", bigForm, false, false},
		{"form with unknown length", "application/x-www-form-urlencoded", bigForm, true, false},
		{"JSON with Content-Length", "application/json", func(*env) string { return bigJSON() }, false, true},
		{"JSON with unknown length", "application/json", func(*env) string { return bigJSON() }, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := newRequest(http.MethodPost, "/petitions/open-petition/signatures", tt.body(e), "Content-Type", tt.ct)
			if tt.chunked {
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
			}
			checkRequestError(t, e, e.serve(r), http.StatusRequestEntityTooLarge, tt.asJSON, "error.too_large")
		})
	}
}

func TestBodyJustUnderLimitIsRead(t *testing.T) {
	// The limit is on bytes, not a reason to refuse a normal form: a body
	// just under the limit reaches validation (here: comment too long).
	e := newEnv(t)
	f := e.validForm("dara@example.org")
	f.Set("comment", strings.Repeat("x", 60<<10))
	w := e.postForm("open-petition", f)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), e.msg("field.comment.too_long"))
}

func TestUnsupportedContentType(t *testing.T) {
	tests := []struct{ name, ct string }{
		{"text", "text/plain"},
		{"multipart", "multipart/form-data; boundary=xyz"},
		{"none", ""},
		{"xml", "application/xml"},
		{"json-seq", "application/json-seq"},
	}
	for _, tt := range tests {
		ct := tt.ct
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			body := "name=Sok+Dara&email=dara%40example.org&country=KH"
			if strings.HasPrefix(ct, "multipart/") {
				body = "--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nSok Dara\r\n--xyz--\r\n"
			}
			w := e.do(http.MethodPost, "/petitions/open-petition/signatures", body, "Content-Type", ct)
			checkRequestError(t, e, w, http.StatusUnsupportedMediaType, false, "error.content_type")
		})
	}
}

func TestSignUnknownPetition(t *testing.T) {
	e := newEnv(t)
	w := e.postForm("no-such-petition", e.validForm("dara@example.org"))
	checkRequestError(t, e, w, http.StatusNotFound, false, "error.not_found")
	w = e.postJSON("no-such-petition", `{"name":"Sok Dara","email":"dara@example.org","country":"KH"}`)
	checkRequestError(t, e, w, http.StatusNotFound, true, "error.not_found")
}

func TestSignClosedPetition(t *testing.T) {
	e := newEnv(t)
	w := e.postForm("closed-petition", e.validForm("dara@example.org"))
	checkRequestError(t, e, w, http.StatusConflict, false, "error.petition_closed")
	if receiptCookie(w) != nil {
		t.Errorf("closed petition set a receipt cookie")
	}
	w = e.postJSON("closed-petition", `{"name":"Sok Dara","email":"dara@example.org","country":"KH"}`)
	checkRequestError(t, e, w, http.StatusConflict, true, "error.petition_closed")
	// The closed message wins over validation: there is nothing to correct.
	w = e.postJSON("closed-petition", `{}`)
	checkRequestError(t, e, w, http.StatusConflict, true, "error.petition_closed")
}

// TestNoBadInputIsA500 throws odd requests at the sign endpoint.
func TestNoBadInputIsA500(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, target, ct, body string }{
		{"empty form", "/petitions/open-petition/signatures", "application/x-www-form-urlencoded", ""},
		{"broken escapes", "/petitions/open-petition/signatures", "application/x-www-form-urlencoded", "name=%zz&email=%"},
		{"semicolon separators", "/petitions/open-petition/signatures", "application/x-www-form-urlencoded", "name=a;email=b"},
		{"repeated fields", "/petitions/open-petition/signatures", "application/x-www-form-urlencoded", "name=a&name=b&public=true&public=false"},
		{"empty JSON", "/petitions/open-petition/signatures", "application/json", ""},
		{"JSON null", "/petitions/open-petition/signatures", "application/json", "null"},
		{"JSON wrong types", "/petitions/open-petition/signatures", "application/json", `{"name":1,"public":"x"}`},
		{"JSON deep nesting", "/petitions/open-petition/signatures", "application/json", strings.Repeat("[", 10000)},
		{"bad content type params", "/petitions/open-petition/signatures", "application/json; charset", `{}`},
		{"slug with odd bytes", "/petitions/%ff%00/signatures", "application/json", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(http.MethodPost, tt.target, tt.body, "Content-Type", tt.ct)
			if w.Code >= 500 {
				t.Errorf("status %d, want a 4xx answer to bad input; body %.300s", w.Code, w.Body)
			}
		})
	}
	if n := e.storedCount(); n != 0 {
		t.Errorf("stored %d signatures from bad input, want 0", n)
	}
}
