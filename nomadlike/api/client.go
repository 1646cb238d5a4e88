package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// Config configures a Client.
type Config struct {
	// Address is the agent's HTTP address, "http://127.0.0.1:4646" by default;
	// a bare "host:port" gets http://.
	Address string
	// HTTPClient is used when set; the default has no overall timeout so that
	// blocking queries can wait.
	HTTPClient *http.Client
	// Token is sent as X-Nomad-Token with every request when set (the CLI's
	// -token and NOMAD_TOKEN). Until ACLs exist, the operator endpoints
	// that need one take the servers' cluster key (server.encrypt).
	Token string
	// Namespace is sent as ?namespace= with every request that sets none
	// itself (the CLI's -namespace and NOMAD_NAMESPACE); "" sends none,
	// which the agent reads as "default".
	Namespace string
	// TLSConfig makes the client speak HTTPS with these files (mTLS, see
	// tls.go); an address without a scheme then gets https://. Ignored
	// when HTTPClient is set.
	TLSConfig *TLSConfig
	// TLSClientConfig is a ready TLS configuration (an agent's own, which
	// follows certificate reloads); it wins over TLSConfig.
	TLSClientConfig *tls.Config
	// Region is sent as ?region= with every request (the CLI's -region and
	// NOMAD_REGION); "" sends none. An agent answers only for its own
	// region.
	Region string
}

// Client talks to one agent.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string
	namespace string
	region    string
}

// NewClient returns a client for cfg.Address.
func NewClient(cfg Config) (*Client, error) {
	tc := cfg.TLSClientConfig
	if tc == nil && cfg.TLSConfig != nil {
		var err error
		if tc, err = cfg.TLSConfig.Build(); err != nil {
			return nil, err
		}
	}
	scheme := "http"
	if tc != nil {
		scheme = "https"
	}
	addr := cfg.Address
	if addr == "" {
		addr = scheme + "://127.0.0.1:4646"
	}
	if !strings.Contains(addr, "://") {
		addr = scheme + "://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("agent address %q: %w", cfg.Address, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("agent address %q: scheme must be http or https", cfg.Address)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSClientConfig:     tc,
		}}
	}
	return &Client{base: u, http: hc, token: cfg.Token, namespace: cfg.Namespace, region: cfg.Region}, nil
}

// SetNamespace changes the namespace sent with requests that set none (see
// Config.Namespace). It is not safe to call while requests are in flight.
func (c *Client) SetNamespace(ns string) { c.namespace = ns }

// Namespace returns the namespace sent with requests that set none.
func (c *Client) Namespace() string { return c.namespace }

// Address returns the agent address the client talks to.
func (c *Client) Address() string { return c.base.String() }

// QueryOptions shape a read.
type QueryOptions struct {
	// WaitIndex makes the read block until the result's index exceeds it.
	WaitIndex uint64
	// WaitTime bounds a blocking read (the server caps it at 10 minutes).
	WaitTime time.Duration
	// AllowStale lets any server answer from its local state.
	AllowStale bool
	// Prefix filters list results by ID prefix.
	Prefix string
	// Namespace defaults to "default"; "*" lists every namespace.
	Namespace string
	// Params are extra query parameters.
	Params map[string]string
	// AuthToken is sent in the X-Nomad-Token header; a client agent sends
	// its node's SecretID this way on every node call.
	AuthToken string
}

// QueryMeta is what the X-Nomad-* headers of a read said.
type QueryMeta struct {
	LastIndex   uint64
	KnownLeader bool
	LastContact time.Duration
	RequestTime time.Duration
	// NextToken is a paged list's X-Nomad-NextToken: pass it as
	// ?next_token= for the next page; "" on the last page (web UI).
	NextToken string
}

// WriteMeta is what a write returned.
type WriteMeta struct {
	LastIndex   uint64
	RequestTime time.Duration
}

// StatusError is returned for a non-2xx reply.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("Unexpected response code: %d (%s)", e.Code, strings.TrimSpace(e.Body))
}

// ErrNotFound is matched (errors.Is) by a 404 reply.
var ErrNotFound = errors.New("not found")

// Is makes errors.Is(err, ErrNotFound) true for 404s.
func (e *StatusError) Is(target error) bool {
	return target == ErrNotFound && e.Code == http.StatusNotFound
}

func (c *Client) url(path string, q *QueryOptions) string {
	u := *c.base
	vals := url.Values{}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		vals, _ = url.ParseQuery(path[i+1:])
		path = path[:i]
	}
	// path is already escaped (IDs go through url.PathEscape, so a "/" in a
	// job ID is %2F): keep it as the raw path so it is not escaped twice.
	u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + path
	if p, err := url.PathUnescape(u.RawPath); err == nil {
		u.Path = p
	} else {
		u.Path, u.RawPath = strings.TrimRight(c.base.Path, "/")+path, ""
	}
	if q != nil {
		if q.WaitIndex > 0 {
			vals.Set("index", strconv.FormatUint(q.WaitIndex, 10))
		}
		if q.WaitTime > 0 {
			vals.Set("wait", q.WaitTime.String())
		}
		if q.AllowStale {
			vals.Set("stale", "")
		}
		if q.Prefix != "" {
			vals.Set("prefix", q.Prefix)
		}
		if q.Namespace != "" {
			vals.Set("namespace", q.Namespace)
		}
		for k, v := range q.Params {
			vals.Set(k, v)
		}
	}
	if c.namespace != "" && !vals.Has("namespace") {
		vals.Set("namespace", c.namespace)
	}
	if c.region != "" && !vals.Has("region") {
		vals.Set("region", c.region)
	}
	u.RawQuery = vals.Encode()
	return u.String()
}

// Do sends a request with an optional JSON body and returns the raw response
// for the caller to read and close. Non-2xx replies become *StatusError.
func (c *Client) Do(ctx context.Context, method, path string, q *QueryOptions, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		if r, ok := body.(io.Reader); ok {
			rd = r
		} else {
			b, err := jsonx.Marshal(body)
			if err != nil {
				return nil, fmt.Errorf("encode request: %w", err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// A per-request token (a node's SecretID on node calls) wins over the
	// context's (WithAuthToken), which wins over the client's configured
	// token.
	ctxTok, _ := ctx.Value(authTokenKey{}).(string)
	switch {
	case q != nil && q.AuthToken != "":
		req.Header.Set("X-Nomad-Token", q.AuthToken)
	case ctxTok != "":
		req.Header.Set("X-Nomad-Token", ctxTok)
	case c.token != "":
		req.Header.Set("X-Nomad-Token", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode, Body: string(b)}
	}
	return resp, nil
}

type authTokenKey struct{}

// WithAuthToken returns a context whose requests carry token in
// X-Nomad-Token (unless their QueryOptions.AuthToken names another): a
// client agent reads its own allocations this way with its node SecretID.
func WithAuthToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, authTokenKey{}, token)
}

// Query GETs path into out and returns the query metadata.
func (c *Client) Query(ctx context.Context, path string, out any, q *QueryOptions) (*QueryMeta, error) {
	start := time.Now()
	resp, err := c.Do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	qm := parseQueryMeta(resp)
	qm.RequestTime = time.Since(start)
	if out != nil {
		if err := jsonx.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
	}
	return qm, nil
}

// Write sends method (PUT, POST or DELETE) to path with in as JSON, decodes the
// reply into out when non-nil, and returns the write metadata.
func (c *Client) Write(ctx context.Context, method, path string, in, out any, q *QueryOptions) (*WriteMeta, error) {
	start := time.Now()
	resp, err := c.Do(ctx, method, path, q, in)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	wm := &WriteMeta{RequestTime: time.Since(start)}
	if idx, err := strconv.ParseUint(resp.Header.Get("X-Nomad-Index"), 10, 64); err == nil {
		wm.LastIndex = idx
	}
	if out != nil {
		if err := jsonx.NewDecoder(resp.Body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
	}
	return wm, nil
}

func parseQueryMeta(resp *http.Response) *QueryMeta {
	qm := &QueryMeta{}
	if idx, err := strconv.ParseUint(resp.Header.Get("X-Nomad-Index"), 10, 64); err == nil {
		qm.LastIndex = idx
	}
	qm.KnownLeader = resp.Header.Get("X-Nomad-KnownLeader") == "true"
	qm.NextToken = resp.Header.Get("X-Nomad-NextToken")
	if ms, err := strconv.ParseUint(resp.Header.Get("X-Nomad-LastContact"), 10, 64); err == nil {
		qm.LastContact = time.Duration(ms) * time.Millisecond
	}
	return qm
}
