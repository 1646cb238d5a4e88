package drivermanager_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
)

// lazyManager starts a manager whose drivers ("fake" unless named) are
// lazily launched (an in-process constructor, as the built-in drivers
// have) with grace.
func lazyManager(t *testing.T, l drivermanager.Launcher, host *clienttest.FakeHost, store drivermanager.Store, grace time.Duration, names ...string) *drivermanager.Manager {
	t.Helper()
	if len(names) == 0 {
		names = []string{"fake"}
	}
	var specs []drivers.PluginSpec
	local := map[string]func(hclog.Logger) drivers.Driver{}
	for _, n := range names {
		specs = append(specs, drivers.PluginSpec{Name: n})
		local[n] = func(hclog.Logger) drivers.Driver { return clienttest.NewFakeDriver(host, n) }
	}
	m := drivermanager.New(drivermanager.Config{
		Specs: specs, Launcher: l, Store: store,
		DataDir: t.TempDir(), FingerprintInterval: time.Hour, Logger: hclog.NewNullLogger(),
		InProcess: local, IdleGrace: grace,
	})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Shutdown)
	return m
}

func taskCfg(id string) *drivers.TaskConfig {
	return &drivers.TaskConfig{ID: id, AllocID: id, Name: "t", Config: json.RawMessage(`{"run_for": "1h"}`)}
}

// TestLazyNoPluginUntilUsed: Start fingerprints a lazy driver in process
// and launches no plugin; the first Driver call launches it and a task runs.
func TestLazyNoPluginUntilUsed(t *testing.T) {
	host := clienttest.NewFakeHost()
	l := clienttest.NewFakeLauncher(host)
	m := lazyManager(t, l, host, localstate.NewMemDB(), time.Hour)
	if launches, _ := l.Counts(); launches != 0 {
		t.Fatalf("launches after Start = %d, want 0", launches)
	}
	info := m.Infos()["fake"]
	if info == nil || !info.Detected || !info.Healthy || info.Attributes["version"] != "0.0.1" {
		t.Fatalf("fingerprint of the lazy driver = %+v, want the in-process driver's, healthy", info)
	}
	d, err := m.Driver("fake")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.StartTask(taskCfg("a")); err != nil {
		t.Fatalf("StartTask = %v", err)
	}
	if launches, _ := l.Counts(); launches != 1 {
		t.Errorf("launches after the first Driver call = %d, want 1", launches)
	}
}

// TestLazyIdlePluginStops: the plugin stays while it has a task, stops
// once the task is destroyed and the grace passed, and is launched again on
// the next use; its reattach config is forgotten meanwhile.
func TestLazyIdlePluginStops(t *testing.T) {
	host := clienttest.NewFakeHost()
	l := clienttest.NewFakeLauncher(host)
	store := localstate.NewMemDB()
	m := lazyManager(t, l, host, store, 20*time.Millisecond, "fake", "witness")
	d, err := m.Driver("fake")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.StartTask(taskCfg("a")); err != nil {
		t.Fatal(err)
	}
	// The witness plugin, launched with no task, is stopped after the
	// grace; the one with a task is not.
	if _, err := m.Driver("witness"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "the idle plugin to be stopped", func() (bool, string) {
		saved, _ := store.DriverPlugins()
		_, ok := saved["witness"]
		return !ok && len(saved) == 1, fmt.Sprintf("reattach configs %v: want only fake's once witness is stopped idle", saved)
	})
	if _, err := d.InspectTask("a"); err != nil {
		t.Fatalf("plugin with a task stopped: InspectTask = %v", err)
	}
	if err := d.DestroyTask("a", true); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "the reattach configs to go after the idle grace", func() (bool, string) {
		saved, _ := store.DriverPlugins()
		return len(saved) == 0, fmt.Sprintf("reattach configs %v after the idle grace", saved)
	})
	if _, err := d.StartTask(taskCfg("b")); err != nil {
		t.Fatalf("StartTask after the idle stop = %v, want it on a new plugin", err)
	}
	if launches, _ := l.Counts(); launches != 3 {
		t.Errorf("launches = %d, want 3 (witness, fake stopped idle, fake again)", launches)
	}
}

// TestLazyStartRacesIdleStop: with a grace of about nothing the plugin is
// stopped whenever it has no task and no call; many starts through
// handles taken before (and raced with) those stops all succeed, each on a
// plugin that knows its task, and none is lost.
func TestLazyStartRacesIdleStop(t *testing.T) {
	host := clienttest.NewFakeHost()
	l := clienttest.NewFakeLauncher(host)
	m := lazyManager(t, l, host, localstate.NewMemDB(), time.Nanosecond)
	const workers = 8
	var wg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan error, 100)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; !stop.Load(); r++ {
				if err := startAndDestroy(m, fmt.Sprintf("w%d-r%d", w, r), r%5*100); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	// Until the plugin was stopped idle and launched again several times.
	poll.Until(t, 20*time.Second, "the plugin to be stopped idle and relaunched 6 times", func() (bool, string) {
		launches, _ := l.Counts()
		return launches >= 6 || len(errs) > 0, fmt.Sprintf("launches = %d", launches)
	})
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// startAndDestroy starts task id through a handle taken first, after
// yielding spins times (the idle loop may stop the plugin under the
// handle meanwhile), and checks that the plugin it started on knows it.
func startAndDestroy(m *drivermanager.Manager, id string, spins int) error {
	d, err := m.Driver("fake")
	if err != nil {
		return fmt.Errorf("%s: Driver: %w", id, err)
	}
	for range spins {
		runtime.Gosched()
	}
	if _, err := d.StartTask(taskCfg(id)); err != nil {
		return fmt.Errorf("%s: StartTask: %w", id, err)
	}
	if _, err := d.InspectTask(id); err != nil {
		return fmt.Errorf("%s: task unknown to the plugin it started on: %w", id, err)
	}
	if err := d.DestroyTask(id, true); err != nil {
		return fmt.Errorf("%s: DestroyTask: %w", id, err)
	}
	return nil
}

// TestLazyReattachAtStart: a lazy driver's plugin left running by an
// earlier agent is reattached at Start (its tasks are recovered through
// it, no launch); one that is gone is not replaced until needed.
func TestLazyReattachAtStart(t *testing.T) {
	host := clienttest.NewFakeHost()
	l := clienttest.NewFakeLauncher(host)
	store := localstate.NewMemDB()
	first := lazyManager(t, l, host, store, time.Hour)
	d, err := first.Driver("fake")
	if err != nil {
		t.Fatal(err)
	}
	h, err := d.StartTask(taskCfg("a"))
	if err != nil {
		t.Fatal(err)
	}
	first.Shutdown() // disconnects: the plugin and its task keep running

	second := lazyManager(t, l, host, store, time.Hour)
	if launches, reattaches := l.Counts(); launches != 1 || reattaches != 1 {
		t.Fatalf("launches, reattaches after the restart = %d, %d; want 1, 1", launches, reattaches)
	}
	d, err = second.Driver("fake")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask through the reattached plugin = %v", err)
	}
	second.Shutdown()

	l.KillPlugins()
	lazyManager(t, l, host, store, time.Hour)
	if launches, _ := l.Counts(); launches != 1 {
		t.Errorf("launches after a restart whose plugin is gone = %d, want 1 (none until needed)", launches)
	}
	if saved, _ := store.DriverPlugins(); len(saved) != 0 {
		t.Errorf("reattach configs = %v, want the dead plugin's forgotten", saved)
	}
}
