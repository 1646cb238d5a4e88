package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client"
)

// startClient builds the client role. It talks to this agent's own HTTP API
// when the agent is also a server, else to client.servers with failover.
// The caller starts it once the HTTP API serves.
func startClient(a *Agent) (clientRole, error) {
	c := a.cfg
	var servers client.ServerAPI
	if a.server != nil {
		local, err := api.NewClient(a.serverAPIConfig(a.httpAddr)) // http(s), mTLS
		if err != nil {
			return nil, err
		}
		servers = local
	} else {
		list, err := newServerList(c.Client.Servers, a.resolver, a.serverAPIConfig)
		if err != nil {
			return nil, err
		}
		servers = list
	}
	idleGrace, err := pluginIdleGrace(c.Client) // lazy plugins (config_pluginidle.go)
	if err != nil {
		return nil, err
	}
	r := c.Client.Reserved
	cfg := client.Config{
		DataDir:    a.dataDir,
		NodeName:   c.Name,
		Datacenter: c.Datacenter,
		Region:     c.Region,
		NodeClass:  c.Client.NodeClass,
		NodePool:   c.Client.NodePool,

		NetworkInterface: c.Client.NetworkInterface,
		HTTPAddr:         a.httpAddr,
		Meta:             c.Client.Meta,
		Reserved: &nomadlike.NodeReservedResources{
			Cpu:      nomadlike.NodeCpuResources{CpuShares: int64(r.CPU)},
			Memory:   nomadlike.NodeMemoryResources{MemoryMB: int64(r.MemoryMB)},
			Disk:     nomadlike.NodeDiskResources{DiskMB: int64(r.DiskMB)},
			Networks: nomadlike.NodeReservedNetwork{ReservedHostPorts: r.ReservedPorts},
		},
		PluginDir:    c.PluginDir,
		Plugins:      c.Plugins,
		DriverBinary: c.DriverBinary,
		Servers:      servers,
		Logger:       a.logger.Named("client"),
		AgentVersion: Version,
		Artifact:     c.Client.Artifact,
		GC:           c.Client.GC,
		HostVolumes:  c.Client.HostVolumes, // host volumes (issue #17)
		// Dynamic host volumes (issue #17).
		HostVolumesDir: c.Client.HostVolumesDir,
		// Bridge networking (config_bridge.go).
		CNIPath: c.Client.Bridge.CNIPath, CNIConfigDir: c.Client.Bridge.CNIConfigDir,
		BridgeName: c.Client.Bridge.BridgeName, BridgeSubnet: c.Client.Bridge.BridgeSubnet,
		// A dev agent's data dir is removed: no later agent can reattach
		// to its plugins, so they are stopped, cleanly.
		StopDriversOnShutdown: a.removeData,
		// Built-in drivers fingerprinted in process, their plugins
		// launched on first use (config_pluginidle.go).
		InProcessDrivers: c.InProcessDrivers, PluginIdleGrace: idleGrace,
	}
	if a.acl != nil { // ACL enforcement (issue #11)
		cfg.ACL = a.acl
	}
	for _, w := range c.Client.ArtifactWarnings {
		a.logger.Warn("client.artifact setting has no effect", "setting", w)
	}
	cl, err := client.New(cfg)
	if err != nil {
		return nil, err
	}
	return withDNS(cl, c.Client.DNS, a.logger), nil // DNS interface (config_dns.go)
}

// serverList is a client.ServerAPI over several servers: a call that cannot
// reach a server moves on to the next one. Answers from a server (even
// errors) are returned as they are. Each configured address is resolved to
// the server's HTTP address on first use (server_resolve.go).
type serverList struct {
	resolver *serverResolver
	cfg      func(addr string) api.Config // the API client config of an HTTP address
	addrs    []string                     // as configured

	mu      sync.Mutex
	clients map[string]*api.Client // by HTTP address
	next    int
}

// newServerList resolves each configured address to the server's HTTP
// address on first use (resolver) and makes its client with cfg (the
// agent's serverAPIConfig: HTTPS with tls.http).
func newServerList(addrs []string, resolver *serverResolver, cfg func(addr string) api.Config) (*serverList, error) {
	if len(addrs) == 0 {
		return nil, errors.New("client.servers: no server address")
	}
	if resolver == nil {
		resolver = newServerResolver(nil)
	}
	if cfg == nil {
		cfg = func(addr string) api.Config { return api.Config{Address: addr} }
	}
	return &serverList{resolver: resolver, cfg: cfg, addrs: addrs, clients: map[string]*api.Client{}}, nil
}

// client returns the API client of the idx-th configured server.
func (l *serverList) client(ctx context.Context, idx int) (*api.Client, error) {
	httpAddr, err := l.resolver.HTTPAddr(ctx, l.addrs[idx])
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[httpAddr]; ok {
		return c, nil
	}
	c, err := api.NewClient(l.cfg(httpAddr))
	if err != nil {
		return nil, fmt.Errorf("client.servers: %w", err)
	}
	l.clients[httpAddr] = c
	return c, nil
}

// try calls fn on each server in turn, starting with the last good one,
// until one answers.
func try[T any](l *serverList, fn func(*api.Client) (T, error)) (T, error) {
	l.mu.Lock()
	start := l.next
	l.mu.Unlock()
	var zero T
	var lastErr error
	for i := range l.addrs {
		idx := (start + i) % len(l.addrs)
		c, err := l.client(context.Background(), idx)
		if err != nil {
			lastErr = err
			continue
		}
		out, err := fn(c)
		var ne net.Error
		var oe *net.OpError
		if err != nil && (errors.As(err, &oe) || errors.As(err, &ne)) && !errors.Is(err, context.Canceled) {
			l.resolver.Forget(l.addrs[idx])
			lastErr = err
			continue
		}
		l.mu.Lock()
		l.next = idx
		l.mu.Unlock()
		return out, err
	}
	return zero, fmt.Errorf("no server reachable: %w", lastErr)
}

func (l *serverList) RegisterNode(ctx context.Context, node *nomadlike.Node) (*api.RegisterNodeResponse, error) {
	return try(l, func(c *api.Client) (*api.RegisterNodeResponse, error) { return c.RegisterNode(ctx, node) })
}

func (l *serverList) Heartbeat(ctx context.Context, nodeID, secretID, status string) (*api.HeartbeatResponse, error) {
	return try(l, func(c *api.Client) (*api.HeartbeatResponse, error) { return c.Heartbeat(ctx, nodeID, secretID, status) })
}

// PushUsage sends the built-in autoscaler's usage samples (issue #17).
func (l *serverList) PushUsage(ctx context.Context, secretID string, samples []nomadlike.AllocUsage) error {
	_, err := try(l, func(c *api.Client) (struct{}, error) { return struct{}{}, c.PushUsage(ctx, secretID, samples) })
	return err
}

func (l *serverList) UpdateAllocs(ctx context.Context, secretID string, allocs []*nomadlike.Allocation) (*api.WriteMeta, error) {
	return try(l, func(c *api.Client) (*api.WriteMeta, error) { return c.UpdateAllocs(ctx, secretID, allocs) })
}

// NodeHostVolumes reads the node's dynamic host volumes (issue #17).
func (l *serverList) NodeHostVolumes(ctx context.Context, nodeID, secretID string, q *api.QueryOptions) ([]*nomadlike.HostVolume, *api.QueryMeta, error) {
	type res struct {
		vols []*nomadlike.HostVolume
		qm   *api.QueryMeta
	}
	r, err := try(l, func(c *api.Client) (res, error) {
		v, qm, err := c.NodeHostVolumes(ctx, nodeID, secretID, q)
		return res{v, qm}, err
	})
	return r.vols, r.qm, err
}

// UpdateHostVolume reports a dynamic host volume created or deleted (issue #17).
func (l *serverList) UpdateHostVolume(ctx context.Context, secretID string, v *nomadlike.HostVolume) error {
	_, err := try(l, func(c *api.Client) (struct{}, error) { return struct{}{}, c.UpdateHostVolume(ctx, secretID, v) })
	return err
}
