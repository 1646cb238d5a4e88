package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The token lives in one cookie, HttpOnly (no script, and so no injected
// script, can read it), SameSite=Strict (the browser leaves it off every
// request another site starts), Secure over HTTPS, scoped to /ui/.
const (
	tokenCookie = "nomadlike_ui_token"
	// tokenCookieAge is how long the browser keeps the token: a work week,
	// then the token form again.
	tokenCookieAge = 7 * 24 * time.Hour
	// maxTokenLen bounds what the token form accepts (Nomad's secrets are
	// 36-character UUIDs; workload identities are JWTs of a few KB).
	maxTokenLen = 8 << 10
)

// errCSRF is a POST without a valid CSRF token or from another origin.
var errCSRF = errors.New("the form is stale or came from another site: reload the page and try again")

// sessions derives the CSRF token of a session from the agent's random key
// and the session's API token, so that it needs no server-side store and
// changes with the token.
type sessions struct {
	key []byte
}

func newSessions() *sessions {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return &sessions{key: k}
}

// token is the API token of r's session ("" for anonymous).
func (s *sessions) token(r *http.Request) string {
	c, err := r.Cookie(tokenCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// csrf is the CSRF token that r's session must send with its forms.
func (s *sessions) csrf(r *http.Request) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf\x00"))
	m.Write([]byte(s.token(r)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkPost accepts a state-changing POST only from a page of this agent:
// Sec-Fetch-Site or Origin, when the browser sends them, must say same
// origin, and the form's csrf field must be the session's. The caller has
// parsed the form.
func (s *sessions) checkPost(r *http.Request) error {
	if r.Method != http.MethodPost {
		return errCSRF
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errCSRF
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return errCSRF
		}
	}
	got := r.PostFormValue("csrf")
	if !hmac.Equal([]byte(got), []byte(s.csrf(r))) {
		return errCSRF
	}
	return nil
}

// setToken stores token in the session cookie ("" removes it).
func (s *sessions) setToken(w http.ResponseWriter, r *http.Request, token string) {
	c := &http.Cookie{Name: tokenCookie, Value: token, Path: "/ui/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(tokenCookieAge / time.Second)}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// validToken reports whether s can be a token: printable ASCII without
// spaces or cookie separators, at most maxTokenLen bytes.
func validToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\' {
			return false
		}
	}
	return !strings.ContainsAny(s, "\r\n")
}
