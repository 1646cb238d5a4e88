package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// pageDef is one page: its route, template, nav entry and how it loads.
type pageDef struct {
	path  string // mux pattern below GET
	tmpl  string // templates/<tmpl>.html
	title string
	nav   string // the nav entry it highlights
	// load reads the page's data; the *call records the highest raft
	// index it saw, which the live update blocks on next.
	load func(h *Handler, c *call, r *http.Request) (any, error)
	// watch names the API paths whose blocking queries wake the live
	// update; nil: the page does not update itself.
	watch func(r *http.Request) []string
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	CSRF    string
	Signed  bool   // a token is set
	Live    string // the URL of the live fragment ("" when not live)
	Index   uint64
	Data    any
	Error   *pageError
	Version string // asset version, for cache busting
	// AskToken: ACLs are on and no token is set; the page offers the
	// token form above what the anonymous policy lets it show.
	AskToken bool
}

// pageError explains a failed read to the user.
type pageError struct {
	Code    int
	Title   string
	Message string
	Denied  bool // a 403: the page offers the token form
}

// templates holds one template set per page (layout + partials + page).
type templates struct {
	sets    map[string]*template.Template
	version string
}

func mustParse() *templates {
	t := &templates{sets: map[string]*template.Template{}, version: assetVersion()}
	pages, err := fs.Glob(files, "templates/page_*.html")
	if err != nil || len(pages) == 0 {
		panic(fmt.Sprintf("ui: no page templates: %v", err))
	}
	for _, p := range pages {
		name := path.Base(p)
		name = name[len("page_") : len(name)-len(".html")]
		set := template.Must(template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/part_*.html", p))
		t.sets[name] = set
	}
	return t
}

// assetVersion is a hash of the embedded assets, appended to their URLs so
// that a new agent's pages never use an old cached script.
func assetVersion() string {
	sum := sha256.New()
	_ = fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(files, p)
			sum.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(sum.Sum(nil))[:12]
}

// call is one page load's API access: the user's client, the request's
// context and the highest index seen.
type call struct {
	ctx   context.Context
	c     *api.Client
	token string
	index uint64
}

// tokenHash names the session's token in caches without keeping it.
func (c *call) tokenHash() string {
	s := sha256.Sum256([]byte(c.token))
	return string(s[:])
}

// seen records a read's index.
func (c *call) seen(qm *api.QueryMeta) {
	if qm != nil && qm.LastIndex > c.index {
		c.index = qm.LastIndex
	}
}

// query GETs an API path into out and records its index.
func (c *call) query(p string, out any, q *api.QueryOptions) (*api.QueryMeta, error) {
	qm, err := c.c.Query(c.ctx, p, out, q)
	c.seen(qm)
	return qm, err
}

// page serves one page, or with ?fragment=1 its live part only, after
// waiting (with ?index=N) for the page's data to change past N.
func (h *Handler) page(p pageDef) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{ctx: ctxOf(r), c: h.client(r), token: h.sess.token(r)}
		fragment := r.URL.Query().Get("fragment") == "1"
		if fragment && p.watch != nil {
			if idx, err := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64); err == nil && idx > 0 {
				h.wait(c, p.watch(r), idx)
			}
		}
		v := &view{Title: p.title, Nav: p.nav, CSRF: h.sess.csrf(r), Signed: h.sess.token(r) != "", Version: h.pages.version}
		if !fragment && c.token == "" && p.nav != "tokens" {
			v.AskToken = h.aclEnabled(c)
		}
		data, err := p.load(h, c, r)
		v.Data, v.Index = data, c.index
		if t, ok := data.(interface{ pageTitle() string }); ok && t.pageTitle() != "" {
			v.Title = t.pageTitle()
		}
		code := http.StatusOK
		if err != nil {
			v.Error = h.explain(err, r)
			code = v.Error.Code
		}
		if p.watch != nil {
			q := r.URL.Query()
			q.Del("index")
			q.Set("fragment", "1")
			v.Live = r.URL.Path + "?" + q.Encode()
		}
		h.render(w, p.tmpl, v, fragment, code)
	})
}

// wait blocks until one of the API paths answers with an index past idx,
// the live wait passes, or the browser goes away.
func (h *Handler) wait(c *call, paths []string, idx uint64) {
	ctx, cancel := context.WithTimeout(c.ctx, h.liveWait+5*time.Second)
	defer cancel()
	done := make(chan struct{}, len(paths))
	for _, p := range paths {
		go func() {
			_, _ = c.c.Query(ctx, p, nil, &api.QueryOptions{WaitIndex: idx, WaitTime: h.liveWait})
			done <- struct{}{}
		}()
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// aclEnabled reports whether the agent enforces ACLs: an anonymous read
// of the ACL policies (management only) is refused then, and answered when
// ACLs are off.
func (h *Handler) aclEnabled(c *call) bool {
	var se *api.StatusError
	_, err := c.c.Query(c.ctx, "/v1/acl/policies", nil, &api.QueryOptions{Params: map[string]string{"per_page": "1"}})
	return errors.As(err, &se) && se.Code == http.StatusForbidden
}

// render executes the page's template (its "main" block alone for a
// fragment) into a buffer first, so that a template error is a clean 500.
func (h *Handler) render(w http.ResponseWriter, name string, v *view, fragment bool, code int) {
	set := h.pages.sets[name]
	entry := "layout"
	if fragment {
		entry = "main"
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, entry, v); err != nil {
		h.logger.Error("render page", "page", name, "error", err)
		http.Error(w, "the page could not be rendered; the agent's log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-UI-Index", strconv.FormatUint(v.Index, 10))
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// explain turns an API error into what the user reads.
func (h *Handler) explain(err error, r *http.Request) *pageError {
	var se *api.StatusError
	if !errors.As(err, &se) {
		if r.Context().Err() == nil { // not a browser that went away
			h.logger.Warn("UI read failed", "path", r.URL.Path, "error", err)
		}
		return &pageError{Code: http.StatusBadGateway, Title: "The agent did not answer", Message: err.Error()}
	}
	pe := &pageError{Code: se.Code, Message: se.Body}
	switch se.Code {
	case http.StatusForbidden:
		pe.Denied, pe.Title = true, "Permission denied"
		if h.sess.token(r) == "" {
			pe.Message = "ACLs are enabled on this cluster and you have not given a token. Enter an ACL token below; it is kept in an HttpOnly cookie of this browser."
		} else {
			pe.Message = "Your token does not allow this page (the API answered: " + trim(se.Body) + "). Ask for a token whose policy grants it, or enter another one."
		}
	case http.StatusNotFound:
		pe.Title = "Not found"
	case http.StatusBadRequest:
		pe.Title = "The request was refused"
	default:
		pe.Title = "The API answered " + strconv.Itoa(se.Code)
	}
	return pe
}
