package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// cniTimeout bounds one CNI ADD or DEL of a whole conflist.
const cniTimeout = time.Minute

var errNoRecord = errors.New("no network record")

// record is what the manager keeps of one allocation's namespace: enough
// to run CNI DEL with the configuration and arguments ADD had, after a
// restart of the agent.
type record struct {
	AllocID  string            `json:"AllocID"`
	Mode     string            `json:"Mode"`
	NetNS    string            `json:"NetNS"`
	ConfList json.RawMessage   `json:"ConfList"`
	Args     map[string]string `json:"Args"`
	Ports    []PortMapping     `json:"Ports"`
	// Result is set once the namespace is complete.
	Result *Result `json:"Result"`
}

// runtimeConf is the CNI runtime configuration of the allocation: the
// allocation ID as container ID, eth0, its CNI_ARGS and port mappings.
func (r *record) runtimeConf() *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: r.AllocID, NetNS: r.NetNS, IfName: InterfaceName}
	keys := make([]string, 0, len(r.Args))
	for k := range r.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rt.Args = append(rt.Args, [2]string{k, r.Args[k]})
	}
	if len(r.Ports) > 0 {
		var pm []map[string]any
		for _, p := range r.Ports {
			for _, proto := range []string{"tcp", "udp"} {
				pm = append(pm, map[string]any{"hostPort": p.HostPort, "containerPort": p.ContainerPort, "protocol": proto})
			}
		}
		rt.CapabilityArgs = map[string]any{"portMappings": pm}
	}
	return rt
}

func (m *Manager) recordPath(allocID string) string {
	return filepath.Join(m.cfg.StateDir, allocID+".json")
}

func (m *Manager) writeRecord(r *record) error {
	if !validAllocID(r.AllocID) {
		return fmt.Errorf("network record: alloc ID %q: letters, digits, '-', '_' and '.' only", r.AllocID)
	}
	if err := os.MkdirAll(m.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("network state dir: %w", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode network record: %w", err)
	}
	tmp := m.recordPath(r.AllocID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write network record: %w", err)
	}
	if err := os.Rename(tmp, m.recordPath(r.AllocID)); err != nil {
		return fmt.Errorf("write network record: %w", err)
	}
	return nil
}

func (m *Manager) readRecord(allocID string) (*record, error) {
	b, err := os.ReadFile(m.recordPath(allocID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoRecord
	}
	if err != nil {
		return nil, fmt.Errorf("read network record: %w", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode network record %s: %w", m.recordPath(allocID), err)
	}
	return &r, nil
}

func (m *Manager) removeRecord(allocID string) error {
	if err := os.Remove(m.recordPath(allocID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network record: %w", err)
	}
	return nil
}

func (m *Manager) recordIDs() ([]string, error) {
	ents, err := os.ReadDir(m.cfg.StateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("network state dir: %w", err)
	}
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// validAllocID reports whether id can name a file (and a namespace) in
// one directory: no separator, no dot-dot, not empty.
func validAllocID(id string) bool {
	if id == "" || id[0] == '.' || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
