package clienttest

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
)

var _ drivermanager.Launcher = (*FakeLauncher)(nil)

// FakeLauncher serves FakeDrivers on one FakeHost as in-process "plugins"
// that can be reattached by a later client, like real plugin processes.
type FakeLauncher struct {
	Host *FakeHost

	mu        sync.Mutex
	gen       int
	alive     map[string]int // driver name -> live plugin generation
	launches  int
	reattachs int
}

// NewFakeLauncher returns a launcher for host.
func NewFakeLauncher(host *FakeHost) *FakeLauncher {
	return &FakeLauncher{Host: host, alive: map[string]int{}}
}

// Counts returns how many plugins were launched and reattached.
func (l *FakeLauncher) Counts() (launches, reattaches int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.launches, l.reattachs
}

// KillPlugins makes every plugin "process" exit (their tasks keep running
// on the host, as with a real plugin).
func (l *FakeLauncher) KillPlugins() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.alive = map[string]int{}
}

type reattach struct {
	Name string `json:"Name"`
	Gen  int    `json:"Gen"`
}

// Launch implements drivermanager.Launcher.
func (l *FakeLauncher) Launch(spec drivers.PluginSpec) (drivermanager.Plugin, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
	l.launches++
	l.alive[spec.Name] = l.gen
	return &FakePlugin{l: l, name: spec.Name, gen: l.gen, driver: NewFakeDriver(l.Host, spec.Name)}, nil
}

// Reattach implements drivermanager.Launcher.
func (l *FakeLauncher) Reattach(name string, raw json.RawMessage) (drivermanager.Plugin, error) {
	var rc reattach
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.alive[name] != rc.Gen {
		return nil, fmt.Errorf("plugin %s generation %d is not running", name, rc.Gen)
	}
	l.reattachs++
	return &FakePlugin{l: l, name: name, gen: rc.Gen, driver: NewFakeDriver(l.Host, name)}, nil
}

// FakePlugin is one in-process plugin.
type FakePlugin struct {
	l      *FakeLauncher
	name   string
	gen    int
	driver *FakeDriver
}

// Driver returns the plugin's driver.
func (p *FakePlugin) Driver() drivers.Driver { return p.driver }

// ReattachConfig returns the plugin's reattach config.
func (p *FakePlugin) ReattachConfig() json.RawMessage {
	b, _ := json.Marshal(reattach{Name: p.name, Gen: p.gen})
	return b
}

// Exited reports whether KillPlugins or Kill ended the plugin.
func (p *FakePlugin) Exited() bool {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	return p.l.alive[p.name] != p.gen
}

// Kill ends the plugin.
func (p *FakePlugin) Kill() {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	if p.l.alive[p.name] == p.gen {
		delete(p.l.alive, p.name)
	}
}

// Disconnect leaves the plugin running.
func (p *FakePlugin) Disconnect() {}
