package agent

import (
	"net/http"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/ui"
)

// withUI serves the web UI (nomadlike/ui) at /ui/ and redirects / to it,
// as Nomad's agent does; everything else goes to next. The UI reads the
// cluster through api, the agent's own API handler, with each user's
// token. The /ui/ routes themselves need no token: a page without one
// shows the token form where the API refuses.
func withUI(next, api http.Handler, logger hclog.Logger) http.Handler {
	u := ui.New(ui.Config{API: api, Logger: logger})
	mux := http.NewServeMux()
	mux.Handle("/ui/", u)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusTemporaryRedirect))
	mux.Handle("/", next)
	return mux
}
