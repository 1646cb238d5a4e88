package network

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	"github.com/containernetworking/cni/libcni"
	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Request is what an allocation's network needs.
type Request struct {
	AllocID string
	// Mode is bridge, none or cni/NAME.
	Mode string
	// Hostname is the interpolated network.hostname ("" for the default,
	// the allocation ID's first 8 characters).
	Hostname string
	DNS      *nomadlike.DNSConfig
	// CNIArgs are network.cni.args, passed to the plugins as CNI_ARGS.
	CNIArgs map[string]string
	// Ports are the allocation's host ports mapped into the namespace.
	Ports []PortMapping
	// EtcDir receives the allocation's hosts, hostname and resolv.conf.
	EtcDir string
}

// PortMapping maps a reserved host port to a port in the namespace, for
// TCP and UDP, on every host address.
type PortMapping struct {
	Label         string `json:"Label"`
	HostPort      int    `json:"HostPort"`
	ContainerPort int    `json:"ContainerPort"`
}

// Result is what the allocation's tasks and the servers learn.
type Result struct {
	Isolation *drivers.NetworkIsolation     `json:"Isolation"`
	Status    *nomadlike.AllocNetworkStatus `json:"Status"`
}

// Manager makes and removes allocations' network namespaces. Its methods
// are safe for concurrent use; they run one at a time.
type Manager struct {
	cfg    Config
	cni    *libcni.CNIConfig
	logger hclog.Logger
	mu     sync.Mutex
}

// NewManager returns a manager; nothing is created before Setup.
func NewManager(cfg Config, logger hclog.Logger) (*Manager, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("network: state dir: required")
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cfg = cfg.withDefaults()
	return &Manager{
		cfg:    cfg,
		cni:    libcni.NewCNIConfigWithCacheDir(cfg.CNIPath, cfg.CNICacheDir, nil),
		logger: logger.Named("network"),
	}, nil
}

// Setup makes (or, for an allocation a previous agent set up, finds) the
// allocation's namespace. On failure nothing of it is left.
func (m *Manager) Setup(ctx context.Context, req Request) (*Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec, err := m.readRecord(req.AllocID); err == nil && rec.Result != nil && isNetns(rec.NetNS) {
		return rec.Result, nil
	}
	// A half-made namespace (the agent died during Setup) is removed first.
	if err := m.teardownLocked(ctx, req.AllocID); err != nil {
		return nil, err
	}
	raw, err := m.confListFor(req.Mode)
	if err != nil {
		return nil, err
	}
	list, err := libcni.NetworkConfFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("network mode %q: parse CNI configuration: %w", req.Mode, err)
	}
	if err := m.checkPlugins(list); err != nil {
		return nil, err
	}
	rec := &record{
		AllocID: req.AllocID, Mode: req.Mode, ConfList: raw, Args: req.CNIArgs,
		NetNS: filepath.Join(m.cfg.NetnsDir, req.AllocID),
	}
	if usesPortMappings(list) {
		rec.Ports = req.Ports
	}
	res, err := m.add(ctx, list, rec, req)
	if err != nil {
		if terr := m.teardownLocked(ctx, req.AllocID); terr != nil {
			m.logger.Error("clean up after failed setup", "alloc_id", req.AllocID, "error", terr)
		}
		return nil, err
	}
	return res, nil
}

// add records rec, makes the namespace, runs CNI ADD and writes the
// allocation's files.
func (m *Manager) add(ctx context.Context, list *libcni.NetworkConfigList, rec *record, req Request) (*Result, error) {
	// The record comes first: whatever exists after a crash is findable.
	if err := m.writeRecord(rec); err != nil {
		return nil, err
	}
	if err := shareDir(m.cfg.NetnsDir); err != nil {
		return nil, err
	}
	if err := createNetns(rec.NetNS); err != nil {
		return nil, err
	}
	if len(rec.Ports) > 0 {
		// portmap's DNAT of 127.0.0.1 needs localhost routing.
		if err := setSysctl("net/ipv4/conf/all/route_localnet", "1"); err != nil {
			return nil, err
		}
	}
	actx, cancel := context.WithTimeout(ctx, cniTimeout)
	defer cancel()
	result, err := m.cni.AddNetworkList(actx, list, rec.runtimeConf())
	if err != nil {
		return nil, fmt.Errorf("network mode %q: CNI ADD: %w", req.Mode, err)
	}
	status, err := statusFrom(result, req.DNS)
	if err != nil {
		return nil, err
	}
	iso := &drivers.NetworkIsolation{Mode: req.Mode, Path: rec.NetNS, Hostname: hostnameFor(req)}
	if err := writeEtc(req, iso, status.Address); err != nil {
		return nil, err
	}
	rec.Result = &Result{Isolation: iso, Status: status}
	if err := m.writeRecord(rec); err != nil {
		return nil, err
	}
	m.logger.Info("network namespace set up", "alloc_id", req.AllocID, "mode", req.Mode, "netns", rec.NetNS, "address", status.Address)
	return rec.Result, nil
}

// Teardown runs CNI DEL and removes the allocation's namespace and its
// record. An allocation without one is no error. On a DEL failure the
// namespace and record stay, for a later Teardown or Reconcile.
func (m *Manager) Teardown(ctx context.Context, allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.teardownLocked(ctx, allocID)
}

func (m *Manager) teardownLocked(ctx context.Context, allocID string) error {
	rec, err := m.readRecord(allocID)
	if errors.Is(err, errNoRecord) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rec.ConfList) > 0 {
		list, err := libcni.NetworkConfFromBytes(rec.ConfList)
		if err != nil {
			return fmt.Errorf("network %s: parse recorded CNI configuration: %w", allocID, err)
		}
		rt := rec.runtimeConf()
		if !isNetns(rec.NetNS) {
			rt.NetNS = "" // plugins then remove only what lives on the host
		}
		dctx, cancel := context.WithTimeout(ctx, cniTimeout)
		defer cancel()
		if err := m.cni.DelNetworkList(dctx, list, rt); err != nil {
			return fmt.Errorf("network %s: CNI DEL: %w", allocID, err)
		}
	}
	if err := removeNetns(rec.NetNS); err != nil {
		return err
	}
	if err := m.removeRecord(allocID); err != nil {
		return err
	}
	m.logger.Info("network namespace removed", "alloc_id", allocID, "netns", rec.NetNS)
	return nil
}

// Reconcile removes the namespaces of allocations for which keep returns
// false (a previous agent's allocations that are gone). Errors are joined;
// every record is tried.
func (m *Manager) Reconcile(ctx context.Context, keep func(allocID string) bool) error {
	ids, err := m.recordIDs()
	if err != nil {
		return err
	}
	sort.Strings(ids)
	var errs []error
	for _, id := range ids {
		if keep(id) {
			continue
		}
		m.logger.Info("removing network namespace of a gone allocation", "alloc_id", id)
		if err := m.Teardown(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Allocations lists the allocations with a recorded namespace.
func (m *Manager) Allocations() ([]string, error) { return m.recordIDs() }
