package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// forwardedHeader marks a request one agent forwarded to another, so that a
// stale view of the leader cannot bounce a request around forever.
const forwardedHeader = "X-Nomadlike-Forwarded"

// queryOptions are the query parameters every read accepts.
type queryOptions struct {
	index     uint64
	wait      time.Duration
	stale     bool
	prefix    string
	namespace string
}

func (h *Handler) parseQuery(r *http.Request) (queryOptions, error) {
	v := r.URL.Query()
	q := queryOptions{prefix: v.Get("prefix"), namespace: v.Get("namespace")}
	if q.namespace == "" {
		q.namespace = nomadlike.DefaultNamespace
	}
	_, q.stale = v["stale"]
	if s := v.Get("stale"); s == "false" {
		q.stale = false
	}
	if s := v.Get("index"); s != "" {
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, badRequest("index: %s is not a number", reqlimit.Quote(s))
		}
		q.index = i
	}
	q.wait = h.cfg.DefaultWait
	if s := v.Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil {
			return q, badRequest("wait: %s is not a duration like \"30s\" or \"5m\"", reqlimit.Quote(s))
		}
		q.wait = d
	}
	if q.wait > h.cfg.MaxWait {
		q.wait = h.cfg.MaxWait
	}
	return q, nil
}

// parseWait accepts Go durations and bare numbers of milliseconds as Nomad does.
func parseWait(s string) (time.Duration, error) {
	if ms, err := strconv.ParseUint(s, 10, 64); err == nil {
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

// readFunc runs one read against st, adding what it read to ws, and returns
// the result and the index the result reflects.
type readFunc func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error)

// tableIndex returns the largest index of the named tables.
func tableIndex(st Store, tables ...string) (uint64, error) {
	var max uint64
	for _, t := range tables {
		i, err := st.Index(t)
		if err != nil {
			return 0, err
		}
		if i > max {
			max = i
		}
	}
	return max, nil
}

// query serves a read: forwarded to the leader unless ?stale or this is the
// leader, and blocking while ?index is not exceeded and ?wait not over.
func (h *Handler) query(w http.ResponseWriter, r *http.Request, read readFunc) {
	q, err := h.parseQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	srv := h.cfg.Server
	if !q.stale && !srv.IsLeader() {
		h.forwardToLeader(w, r)
		return
	}
	ctx := r.Context()
	if q.index > 0 {
		// Jitter spreads the wake-ups of many waiting clients.
		wait := q.wait + time.Duration(rand.Int64N(int64(q.wait/16)+1))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	for {
		st := srv.State()
		ws := state.NewWatchSet()
		out, index, err := read(ws, st, q)
		if err == nil && q.index > 0 && index <= q.index {
			if werr := ws.WatchCtx(ctx); werr == nil {
				continue
			}
			if r.Context().Err() != nil {
				return // the client went away
			}
		}
		h.setReadHeaders(w, index)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, r, out)
		return
	}
}

func (h *Handler) setReadHeaders(w http.ResponseWriter, index uint64) {
	setIndex(w, index)
	srv := h.cfg.Server
	_, leaderHTTP := srv.Leader()
	known := srv.IsLeader() || leaderHTTP != ""
	w.Header().Set("X-Nomad-KnownLeader", strconv.FormatBool(known))
	w.Header().Set("X-Nomad-LastContact", strconv.FormatInt(srv.LastContact().Milliseconds(), 10))
}

// writeOp serves a write: forwarded to the leader on a follower (also when
// the backend reports it lost leadership meanwhile); the reply carries
// X-Nomad-Index of the commit. The request body must have been read with
// readBody/decodeBody so that it can be forwarded.
func (h *Handler) writeOp(w http.ResponseWriter, r *http.Request, op func() (any, uint64, error)) {
	if !h.cfg.Server.IsLeader() {
		h.forwardToLeader(w, r)
		return
	}
	out, index, err := op()
	if errors.Is(err, nomadlike.ErrNotLeader) {
		h.forwardToLeader(w, r)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	setIndex(w, index)
	writeJSON(w, r, out)
}

// forwardToLeader proxies the request to the leader's HTTP address.
func (h *Handler) forwardToLeader(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(forwardedHeader) != "" {
		writeError(w, fmt.Errorf("request forwarded to a server that is %w", nomadlike.ErrNotLeader))
		return
	}
	addr := h.waitLeader(r.Context())
	if addr == "" {
		writeError(w, fmt.Errorf("%w: no leader is known yet; retry in a moment", nomadlike.ErrNoLeader))
		return
	}
	h.proxy.forward(w, r, addr, nil)
}

// DefaultLeaderHoldTimeout is Config.LeaderHoldTimeout's default.
const DefaultLeaderHoldTimeout = 5 * time.Second

// leaderPoll is how often waitLeader looks for a leader during an election.
const leaderPoll = 10 * time.Millisecond

// waitLeader returns the leader's HTTP address, waiting up to
// LeaderHoldTimeout while none is known (this server's own address once it
// wins: the request is then forwarded to itself). "" when none appeared or
// ctx ended.
func (h *Handler) waitLeader(ctx context.Context) string {
	if _, addr := h.cfg.Server.Leader(); addr != "" {
		return addr
	}
	hold := time.NewTimer(h.cfg.LeaderHoldTimeout)
	defer hold.Stop()
	tick := time.NewTicker(leaderPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-hold.C:
			return ""
		case <-tick.C:
			if _, addr := h.cfg.Server.Leader(); addr != "" {
				return addr
			}
		}
	}
}

// forwardToServers proxies a server request from a client-only agent to one
// of the configured servers, moving on to the next after a failure.
func (h *Handler) forwardToServers(w http.ResponseWriter, r *http.Request) {
	if len(h.cfg.Servers) == 0 {
		writeError(w, fmt.Errorf("this agent runs no server and knows no server address: %w", nomadlike.ErrNoLeader))
		return
	}
	i := h.proxy.next.Load()
	addr := h.cfg.Servers[int(i%uint64(len(h.cfg.Servers)))]
	if h.cfg.ResolveServer != nil { // client.servers may name RPC ports
		addr = h.cfg.ResolveServer(addr)
	}
	h.proxy.forward(w, r, addr, func() { h.proxy.next.CompareAndSwap(i, i+1) })
}

// forwarder proxies requests to other agents.
type forwarder struct {
	logger hclog.Logger
	// transport reaches servers; nodeTransport reaches client agents
	// (with TLS they check different certificate names).
	transport     http.RoundTripper
	nodeTransport http.RoundTripper
	// scheme is "https" when the agents serve HTTPS (tls.http).
	scheme string
	next   atomic.Uint64
	// sourceIP names the request's source in X-Nomadlike-Forwarded-For
	// (nil: none is sent).
	sourceIP func(*http.Request) string
}

// newForwarder returns a forwarder over plain HTTP, or with toServers set
// (mTLS, tls.http) over HTTPS, dialing servers with toServers and nodes
// with toNodes.
func newForwarder(logger hclog.Logger, toServers, toNodes *tls.Config) *forwarder {
	mk := func(tc *tls.Config) *http.Transport {
		return &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     90 * time.Second,
			TLSClientConfig:     tc,
		}
	}
	f := &forwarder{logger: logger, transport: mk(toServers), nodeTransport: mk(toNodes), scheme: "http"}
	if toServers != nil {
		f.scheme = "https"
	}
	return f
}

// forward proxies r to the server at addr ("host:port" or a URL); onError
// runs when the server cannot be reached.
func (f *forwarder) forward(w http.ResponseWriter, r *http.Request, addr string, onError func()) {
	f.forwardVia(f.transport, w, r, addr, onError)
}

// forwardNode proxies r to the client agent at addr.
func (f *forwarder) forwardNode(w http.ResponseWriter, r *http.Request, addr string) {
	f.forwardVia(f.nodeTransport, w, r, addr, nil)
}

func (f *forwarder) forwardVia(transport http.RoundTripper, w http.ResponseWriter, r *http.Request, addr string, onError func()) {
	if !strings.Contains(addr, "://") {
		addr = f.scheme + "://" + addr
	}
	target, err := url.Parse(addr)
	if err != nil {
		writeError(w, fmt.Errorf("forward to %q: %w", addr, err))
		return
	}
	src := ""
	if f.sourceIP != nil {
		src = f.sourceIP(r)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.Out.Header.Set(forwardedHeader, "1")
			pr.Out.Header.Del(forwardedForHeader)
			if src != "" {
				pr.Out.Header.Set(forwardedForHeader, src)
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if onError != nil {
				onError()
			}
			f.logger.Warn("forward failed", "to", target.Host, "path", r.URL.Path, "error", err)
			writeError(w, fmt.Errorf("forward to %s: %w", target.Host, err))
		},
	}
	rp.ServeHTTP(w, r)
}
