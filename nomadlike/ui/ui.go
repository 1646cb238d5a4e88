package ui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

//go:embed assets templates
var files embed.FS

// Config configures the UI.
type Config struct {
	// API is the agent's HTTP API handler; every page reads through it
	// with the user's token.
	API http.Handler
	// Logger logs failures the user cannot act on; nil discards.
	Logger hclog.Logger
	// LiveWait bounds a live fragment's blocking query: a page refreshes at
	// least this often even when nothing changed (resource usage has no
	// index). Default 20s.
	LiveWait time.Duration
}

// Handler serves /ui/. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	sess     *sessions
	pages    *templates
	http     *http.Client
	logger   hclog.Logger
	liveWait time.Duration
	counts   statusCounts
}

// New returns the UI handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.LiveWait <= 0 {
		cfg.LiveWait = 20 * time.Second
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), sess: newSessions(), pages: mustParse(),
		http: &http.Client{Transport: inProcess{h: cfg.API}}, logger: cfg.Logger.Named("ui"), liveWait: cfg.LiveWait}
	h.routes()
	return h
}

func (h *Handler) routes() {
	assets, _ := fs.Sub(files, "assets")
	h.mux.Handle("GET /ui/assets/", http.StripPrefix("/ui/assets/", assetServer(assets)))
	h.mux.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/jobs", http.StatusFound)
	})
	for _, p := range pageDefs {
		h.mux.Handle("GET "+p.path, h.page(p))
	}
	h.mux.HandleFunc("GET /ui/allocations/{id}/logs", h.allocLogs)
	h.mux.HandleFunc("GET /ui/variables/value", h.varValue)
	h.mux.HandleFunc("POST /ui/settings/tokens", h.post(h.setToken))
	h.mux.HandleFunc("POST /ui/job/stop", h.post(h.jobStop))
	h.mux.HandleFunc("POST /ui/allocations/{id}/{action}", h.post(h.allocAction))
}

// ServeHTTP serves the UI with headers that keep its pages from being
// framed, sniffed, cached or from running any script but the agent's own.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer the browser sends
	// "Origin: null" on the UI's own form posts, which checkPost refuses.
	hd.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/ui/assets/") {
		hd.Set("Cache-Control", "no-store")
	}
	h.mux.ServeHTTP(w, r)
}

// client is an API client that acts with r's session token.
func (h *Handler) client(r *http.Request) *api.Client {
	c, _ := api.NewClient(api.Config{Address: "http://agent.internal", HTTPClient: h.http, Token: h.sess.token(r)})
	return c
}

// ctx is r's context carrying the browser's address for the API's logs.
func ctxOf(r *http.Request) context.Context {
	return withRemoteAddr(r.Context(), r.RemoteAddr)
}

// assetServer serves the embedded assets with a day of caching.
func assetServer(fsys fs.FS) http.Handler {
	fsrv := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}
