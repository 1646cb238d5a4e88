package clienttest

import (
	"encoding/json"
	"errors"
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
	dead      map[int]chan struct{}
	failNext  int
	launches  int
	reattachs int
}

// errPluginGone is what a dead fake plugin's driver answers, as a real
// plugin's gRPC client does once the process is gone.
var errPluginGone = errors.New("rpc error: code = Unavailable desc = error reading from server: EOF")

// FailLaunches makes the next n launches fail, like a plugin binary that
// cannot start for a while.
func (l *FakeLauncher) FailLaunches(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failNext = n
}

// deadChLocked is closed when plugin generation gen exits.
func (l *FakeLauncher) deadChLocked(gen int) chan struct{} {
	if l.dead == nil {
		l.dead = map[int]chan struct{}{}
	}
	ch := l.dead[gen]
	if ch == nil {
		ch = make(chan struct{})
		l.dead[gen] = ch
	}
	return ch
}

// exitLocked ends plugin generation gen: its driver's calls fail from now.
func (l *FakeLauncher) exitLocked(name string, gen int) {
	if l.alive[name] == gen {
		delete(l.alive, name)
	}
	ch := l.deadChLocked(gen)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (l *FakeLauncher) newPluginLocked(name string, gen int) *FakePlugin {
	d := NewFakeDriver(l.Host, name)
	d.deadCh = l.deadChLocked(gen)
	return &FakePlugin{l: l, name: name, gen: gen, driver: d}
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
	for name, gen := range l.alive {
		l.exitLocked(name, gen)
	}
}

type reattach struct {
	Name string `json:"Name"`
	Gen  int    `json:"Gen"`
}

// Launch implements drivermanager.Launcher.
func (l *FakeLauncher) Launch(spec drivers.PluginSpec) (drivermanager.Plugin, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failNext > 0 {
		l.failNext--
		return nil, fmt.Errorf("launch %s: plugin failed to start", spec.Name)
	}
	l.gen++
	l.launches++
	l.alive[spec.Name] = l.gen
	return l.newPluginLocked(spec.Name, l.gen), nil
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
	return l.newPluginLocked(name, rc.Gen), nil
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
	p.l.exitLocked(p.name, p.gen)
}

// Disconnect leaves the plugin running.
func (p *FakePlugin) Disconnect() {}
