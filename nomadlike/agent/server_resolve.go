package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// Server addresses of a client (client.servers, client.server_join): Nomad
// names the servers' RPC port (4647), nomadlike's clients talk to their
// HTTP API. A configured address is used as follows:
//   - a URL ("http://10.0.0.1:4646") is an HTTP address, used as it is;
//   - otherwise the client sends one HTTP request to it (GET
//     /v1/status/leader); any HTTP answer, whatever its status, means it is
//     an HTTP port, used as it is;
//   - otherwise (a server's RPC port closes a connection that does not
//     start with a known type byte) the client asks the RPC port for the
//     server's advertised HTTP address (server.LookupHTTPAddr, which needs
//     no cluster key) and uses that.
//
// An address that answers neither (the server is not up yet) is tried
// again on the next call. A resolved address is forgotten when the server
// behind it cannot be reached, so a server that comes back on another HTTP
// port is found again.

// errServerUnresolved wraps why a configured server address could not be
// resolved to an HTTP address.
var errServerUnresolved = errors.New("server address answers neither HTTP nor nomadlike's RPC")

// resolveTimeout bounds each probe of a configured address.
const resolveTimeout = 3 * time.Second

// serverResolver maps configured server addresses to HTTP addresses, with
// a cache.
type serverResolver struct {
	logger hclog.Logger
	probe  *http.Client

	mu    sync.Mutex
	cache map[string]string // configured -> HTTP address
}

func newServerResolver(logger hclog.Logger) *serverResolver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &serverResolver{
		logger: logger,
		probe: &http.Client{Timeout: resolveTimeout, Transport: &http.Transport{
			Proxy: nil, DisableKeepAlives: true,
		}},
		cache: map[string]string{},
	}
}

// HTTPAddr returns the HTTP address of the server configured as addr.
func (r *serverResolver) HTTPAddr(ctx context.Context, addr string) (string, error) {
	if strings.Contains(addr, "://") {
		return addr, nil
	}
	r.mu.Lock()
	got, ok := r.cache[addr]
	r.mu.Unlock()
	if ok {
		return got, nil
	}
	got, err := r.resolve(ctx, addr)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	r.cache[addr] = got
	r.mu.Unlock()
	if got != addr {
		r.logger.Info("server RPC address resolved to its HTTP API", "server", addr, "http", got)
	}
	return got, nil
}

// Forget drops what addr resolved to.
func (r *serverResolver) Forget(addr string) {
	r.mu.Lock()
	delete(r.cache, addr)
	r.mu.Unlock()
}

func (r *serverResolver) resolve(ctx context.Context, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v1/status/leader", nil)
	if err != nil {
		return "", fmt.Errorf("client.servers %q: %w", addr, err)
	}
	resp, httpErr := r.probe.Do(req)
	if httpErr == nil {
		resp.Body.Close()
		return addr, nil
	}
	got, rpcErr := server.LookupHTTPAddr(addr, resolveTimeout)
	if rpcErr != nil {
		return "", fmt.Errorf("%w: %s: HTTP: %v; RPC: %v", errServerUnresolved, addr, httpErr, rpcErr)
	}
	return got, nil
}

// resolveServer is httpapi.Config.ResolveServer: the HTTP address of a
// configured server, or addr itself when it cannot be resolved now (the
// forward then fails and moves on to the next server).
func (a *Agent) resolveServer(addr string) string {
	if addr == "" {
		return ""
	}
	got, err := a.resolver.HTTPAddr(context.Background(), addr)
	if err != nil {
		a.resolver.logger.Warn("cannot reach server", "server", addr, "error", err)
		return addr
	}
	return got
}
