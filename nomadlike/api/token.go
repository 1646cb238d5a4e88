package api

import (
	"net/http"
	"strings"
)

// RequestToken returns the secret an HTTP request carries, where this
// package (and Nomad's) puts it: X-Nomad-Token, else "Authorization:
// Bearer <secret>"; "" when none. Agents read tokens with it.
func RequestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get("X-Nomad-Token")); t != "" {
		return t
	}
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}
