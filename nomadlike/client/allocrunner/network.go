package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/network"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// ErrNoNetworkManager is a group network mode that needs a namespace on a
// client that makes none.
var ErrNoNetworkManager = errors.New("this client makes no network namespaces")

// NetworkManager makes and removes allocations' network namespaces;
// *network.Manager satisfies it.
type NetworkManager interface {
	Setup(ctx context.Context, req network.Request) (*network.Result, error)
	Teardown(ctx context.Context, allocID string) error
}

// AllocPostrunHook runs when the allocation's tasks are all done (not when
// the agent merely shuts down and leaves them running).
type AllocPostrunHook interface {
	Name() string
	Postrun() error
}

// networkTimeout bounds a namespace's setup or teardown.
const networkTimeout = 2 * time.Minute

// networkHook gives an allocation whose group network is bridge, none or
// cni/NAME its namespace before the first task starts and removes it once
// every task is done (or when the allocation is destroyed).
type networkHook struct {
	ar   *AllocRunner
	mgr  NetworkManager
	net  *nomadlike.NetworkResource
	node NodeGetter

	mu  sync.Mutex
	res *network.Result
	// status outlives the namespace: a stopped allocation still shows it.
	status *nomadlike.AllocNetworkStatus
}

// groupNetwork returns the allocation's group network when its mode needs
// a namespace of its own.
func groupNetwork(a *nomadlike.Allocation, tg *nomadlike.TaskGroup) *nomadlike.NetworkResource {
	var n *nomadlike.NetworkResource
	if ar := a.AllocatedResources; ar != nil && len(ar.Shared.Networks) > 0 {
		n = ar.Shared.Networks[0]
	} else if len(tg.Networks) > 0 {
		n = tg.Networks[0]
	}
	if n == nil || !nomadlike.IsolatedMode(n.Mode) {
		return nil
	}
	return n
}

func (h *networkHook) Name() string { return "network" }

func (h *networkHook) Prerun() error {
	if allDead(h.ar.taskList()) {
		return nil // a restored allocation that already finished
	}
	if h.mgr == nil {
		return fmt.Errorf("network mode %q: %w", h.net.Mode, ErrNoNetworkManager)
	}
	a := h.ar.Alloc()
	hostname := h.net.Hostname
	if hostname != "" {
		var node *nomadlike.Node
		if h.node != nil {
			node = h.node()
		}
		env := taskenv.Build(node, a, &nomadlike.Task{}, taskenv.Paths{})
		hostname = env.ReplaceEnv(hostname)
		if !nomadlike.ValidHostname(hostname) {
			return fmt.Errorf("network.hostname: %q is not a valid hostname", hostname)
		}
	}
	req := network.Request{
		AllocID: a.ID, Mode: h.net.Mode, Hostname: hostname, DNS: h.net.DNS,
		EtcDir: filepath.Join(h.ar.ad.Dir, "network"),
	}
	if h.net.CNI != nil {
		req.CNIArgs = h.net.CNI.Args
	}
	for _, p := range h.net.Ports() {
		to := p.To
		if to <= 0 {
			to = p.Value
		}
		req.Ports = append(req.Ports, network.PortMapping{Label: p.Label, HostPort: p.Value, ContainerPort: to})
	}
	ctx, cancel := context.WithTimeout(context.Background(), networkTimeout)
	defer cancel()
	res, err := h.mgr.Setup(ctx, req)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.res, h.status = res, res.Status
	h.mu.Unlock()
	h.ar.taskStateUpdated()
	return nil
}

func (h *networkHook) Postrun() error { return h.teardown() }
func (h *networkHook) Destroy() error { return h.teardown() }

func (h *networkHook) teardown() error {
	if h.mgr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), networkTimeout)
	defer cancel()
	if err := h.mgr.Teardown(ctx, h.ar.id); err != nil {
		return err
	}
	h.mu.Lock()
	h.res = nil
	h.mu.Unlock()
	return nil
}

// result returns the namespace's isolation and status (nil, nil when the
// allocation has none, or not yet).
func (h *networkHook) result() (*drivers.NetworkIsolation, *nomadlike.AllocNetworkStatus) {
	if h == nil {
		return nil, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.res == nil {
		return nil, nil
	}
	iso := *h.res.Isolation
	return &iso, h.res.Status.Copy()
}

// lastStatus is the namespace's status, kept after teardown.
func (h *networkHook) lastStatus() *nomadlike.AllocNetworkStatus {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.status.Copy()
}

// postrun runs the postrun hooks once the allocation's tasks are done,
// unless the agent is only shutting down.
func (ar *AllocRunner) postrun() {
	select {
	case <-ar.shutdownCh:
		return
	default:
	}
	for _, h := range ar.hooks {
		if p, ok := h.(AllocPostrunHook); ok {
			if err := p.Postrun(); err != nil {
				ar.logger.Error("postrun hook failed", "hook", p.Name(), "error", err)
			}
		}
	}
}

// applyNetwork puts the allocation's namespace into a task's config, or,
// for a driver that runs tasks on the host network only (raw_exec), says so
// in a task event.
func (tr *TaskRunner) applyNetwork(d drivers.Driver, cfg *drivers.TaskConfig) {
	if tr.network == nil {
		return
	}
	iso, _ := tr.network()
	if iso == nil {
		return
	}
	if d.Info().Capabilities.JoinsGroupNetwork() {
		cfg.NetworkIsolation = iso
		return
	}
	tr.emit(newEvent(nomadlike.TaskEventHostNetwork, fmt.Sprintf(
		"Driver %s does not join the group's network namespace (mode %q): the task runs in the host's network", tr.task.Driver, iso.Mode)))
}

// withNetworkStatus returns alloc with its namespace's status, so that
// the task's environment names the allocation's address
// (NOMAD_ALLOC_IP_<label>, NOMAD_ALLOC_ADDR_<label>).
func (tr *TaskRunner) withNetworkStatus(alloc *nomadlike.Allocation) *nomadlike.Allocation {
	if tr.network == nil {
		return alloc
	}
	_, st := tr.network()
	if st == nil {
		return alloc
	}
	c := *alloc
	c.NetworkStatus = st
	return &c
}
