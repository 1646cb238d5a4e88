package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/server"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// Version is reported by /v1/agent/self and server members; the CLI sets it.
var Version = "0.1.0-dev"

// Agent is a running agent: server and/or client and the HTTP API.
type Agent struct {
	cfg    *Config
	logger hclog.Logger
	level  hclog.Level

	dataDir    string
	removeData bool // dev mode: the data dir is temporary

	server serverRole // nil when the server role is off
	client clientRole // nil when the client role is off
	// acl resolves request tokens when acl.enabled (agent_acl.go); nil
	// when ACLs are off.
	acl httpapi.ACLResolver

	// api is the HTTP API's router; its Routes() drive the ACL route
	// matrix test (acl_matrix_test.go).
	api *httpapi.Handler

	httpLn   net.Listener
	httpSrv  *http.Server
	httpAddr string // advertised host:port of the HTTP API
	rpcAddr  string // advertised host:port of the raft transport

	shutdownOnce sync.Once
	shutdownErr  error

	telemetry *telemetry.Telemetry // metrics (telemetry.go)

	tls *tlsutil.Configurator // mTLS (agent_tls.go); nil when tls is off
	// resolver maps client.servers (RPC or HTTP addresses) to the
	// servers' HTTP addresses (server_resolve.go).
	resolver *serverResolver
}

// serverRole is what the agent needs from its server (see agent_server.go).
type serverRole interface {
	httpapi.Backend
	Shutdown() error
}

// clientRole is what the agent needs from its client (see agent_client.go).
type clientRole interface {
	Start() error
	Shutdown() error
	NodeID() string
	Handler() http.Handler
	Allocations() []*nomadlike.Allocation
	StopAllocation(id string) error
}

// New validates cfg and starts the agent: the HTTP listener first (so that
// its address is known), then the server, then the client, then serving.
// On error everything started is stopped again.
func New(cfg *Config, logger hclog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	a := &Agent{cfg: cfg, logger: logger, resolver: newServerResolver(logger.Named("servers"))}
	if err := a.start(); err != nil {
		a.Shutdown()
		return nil, err
	}
	return a, nil
}

func (a *Agent) start() error {
	a.dataDir = a.cfg.DataDir
	if a.cfg.DevMode && a.dataDir == "" {
		dir, err := os.MkdirTemp("", "nomadlike-dev-")
		if err != nil {
			return fmt.Errorf("create dev data dir: %w", err)
		}
		a.dataDir, a.removeData = dir, true
	}
	if err := os.MkdirAll(a.dataDir, 0o755); err != nil {
		return fmt.Errorf("data_dir %s: %w", a.dataDir, err)
	}
	if err := a.startTLS(); err != nil { // mTLS (agent_tls.go)
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPBindAddr())
	if err != nil {
		return fmt.Errorf("listen for HTTP on %s: %w", a.cfg.HTTPBindAddr(), err)
	}
	a.httpLn = a.wrapHTTPListener(listenHTTP(ln, a.cfg.Limits))
	a.httpAddr = advertise(a.cfg.Advertise.HTTP, ln.Addr().(*net.TCPAddr))
	for _, w := range a.cfg.nomadWarnings() { // Nomad settings without effect (config_nomad.go)
		a.logger.Warn("setting has no effect", "setting", w)
	}
	if err := a.startTelemetry(); err != nil {
		return err
	}
	if a.cfg.Server.Enabled {
		srv, rpcAddr, err := startServer(a)
		if err != nil {
			return fmt.Errorf("start server: %w", err)
		}
		a.server, a.rpcAddr = srv, rpcAddr
	}
	if a.acl, err = a.aclResolver(); err != nil { // ACL enforcement (issue #11)
		return err
	}
	cfg := httpapi.Config{Agent: a, Logger: a.logger, ACL: a.acl, Telemetry: a.telemetry,
		TLSServers: a.httpsToServers(), TLSNodes: a.httpsToNodes()} // mTLS
	cfg.Region = a.cfg.Region // regions: the only region ?region= may name
	if a.server != nil {
		cfg.Server = a.server
		if a.cfg.Server.Encrypt != "" {
			cfg.ClusterKey, _ = server.DecodeClusterKey(a.cfg.Server.Encrypt) // validated
		}
	} else {
		cfg.Servers = a.cfg.Client.Servers
		cfg.ResolveServer = a.resolveServer // client.servers may name RPC ports
	}
	if a.cfg.Client.Enabled {
		cl, err := startClient(a)
		if err != nil {
			return fmt.Errorf("start client: %w", err)
		}
		a.client = cl
		a.clientMetrics(cl)
		cfg.Client = cl.Handler()
		cfg.NodeID = cl.NodeID
	}
	a.api = httpapi.New(cfg)
	root := withDebug(a.api, a.cfg.EnableDebug || a.cfg.DevMode, a.acl)
	if a.cfg.UI.Enabled {
		root = withUI(root, a.api, a.logger) // web UI at /ui/ (issue #18, agent/ui.go)
	}
	a.httpSrv = newHTTPServer(root, a.cfg.Limits)
	go func() {
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("HTTP server stopped", "error", err)
		}
	}()
	if a.client != nil {
		if err := a.client.Start(); err != nil {
			return fmt.Errorf("start client: %w", err)
		}
	}
	if n := openFilesLimit(); n > 0 && n < lowOpenFiles {
		a.logger.Warn("the open file limit is low; raise it (LimitNOFILE= in the systemd unit, ulimit -n) to serve many connections and allocations",
			"limit", n, "recommended", lowOpenFiles, "http_max_conns_per_client", a.cfg.Limits.HTTPMaxConnsPerClient)
	}
	a.logger.Info("agent started", "http", a.httpAddr, "server", a.cfg.Server.Enabled, "client", a.cfg.Client.Enabled,
		"data_dir", a.dataDir, "region", a.cfg.Region, "datacenter", a.cfg.Datacenter, "open_files_limit", openFilesLimit(),
		"tls_http", a.cfg.TLS.HTTP, "tls_rpc", a.cfg.TLS.RPC)
	return nil
}

// advertise picks the address other agents use: the configured one, the
// bound one, or for a wildcard bind the first private address of the host.
func advertise(configured string, bound *net.TCPAddr) string {
	port := strconv.Itoa(bound.Port)
	if configured != "" {
		if _, _, err := net.SplitHostPort(configured); err == nil {
			return configured
		}
		return net.JoinHostPort(configured, port)
	}
	if !bound.IP.IsUnspecified() {
		return net.JoinHostPort(bound.IP.String(), port)
	}
	return net.JoinHostPort(hostIP(), port)
}

// hostIP returns the first non-loopback IPv4 address, or 127.0.0.1.
func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

// HTTPAddr is the advertised host:port of the HTTP API.
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// DataDir is the directory the agent keeps its data in.
func (a *Agent) DataDir() string { return a.dataDir }

// Shutdown stops the client (leaving its tasks running), the HTTP API and
// the server, in that order. Safe to call more than once.
func (a *Agent) Shutdown() error {
	a.shutdownOnce.Do(func() {
		var errs []error
		if a.client != nil && a.removeData {
			// Dev mode: nothing can recover these tasks once the data dir
			// is gone, so stop them instead of leaving them running.
			a.stopLocalAllocs()
		}
		if a.client != nil {
			if err := a.client.Shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("client: %w", err))
			}
			if a.removeData {
				killDriverChildren()
			}
		}
		if a.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := a.httpSrv.Shutdown(ctx); err != nil {
				// Blocking queries may still be waiting: cut them off.
				a.httpSrv.Close()
			}
			cancel()
		} else if a.httpLn != nil {
			a.httpLn.Close()
		}
		if a.server != nil {
			if err := a.server.Shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("server: %w", err))
			}
		}
		if a.telemetry != nil {
			a.telemetry.Close()
		}
		if a.removeData {
			os.RemoveAll(a.dataDir)
		}
		a.shutdownErr = errors.Join(errs...)
		a.logger.Info("agent stopped")
	})
	return a.shutdownErr
}

// stopLocalAllocs kills every allocation of the local client (directly:
// with ACLs on, the client's stop endpoint needs a token).
func (a *Agent) stopLocalAllocs() {
	for _, alloc := range a.client.Allocations() {
		if alloc.ClientTerminalStatus() {
			continue
		}
		if err := a.client.StopAllocation(alloc.ID); err != nil {
			a.logger.Warn("stop allocation", "alloc_id", alloc.ID, "error", err)
		}
	}
}

// subDir returns a directory under the data dir, created.
func (a *Agent) subDir(name string) (string, error) {
	p := filepath.Join(a.dataDir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", p, err)
	}
	return p, nil
}
