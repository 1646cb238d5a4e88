package drivermanager_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
)

// TestRelaunchWithBackoff: a dead plugin is relaunched on demand; a plugin
// that fails to start is not relaunched again at once, then comes back.
func TestRelaunchWithBackoff(t *testing.T) {
	host := clienttest.NewFakeHost()
	l := clienttest.NewFakeLauncher(host)
	m := drivermanager.New(drivermanager.Config{
		Specs: []drivers.PluginSpec{{Name: "fake"}}, Launcher: l, Store: localstate.NewMemDB(),
		DataDir: t.TempDir(), FingerprintInterval: time.Hour, Logger: hclog.NewNullLogger(),
	})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Shutdown)

	l.KillPlugins()
	if _, err := m.Driver("fake"); err != nil {
		t.Fatalf("Driver after the plugin died = %v, want a relaunched plugin", err)
	}
	if launches, _ := l.Counts(); launches != 2 {
		t.Fatalf("launches = %d, want 2", launches)
	}

	l.FailLaunches(1)
	l.KillPlugins()
	if _, err := m.Driver("fake"); err == nil || errors.Is(err, drivermanager.ErrRelaunchBackoff) {
		t.Fatalf("Driver with a failing launch = %v, want the launch error", err)
	}
	if _, err := m.Driver("fake"); !errors.Is(err, drivermanager.ErrRelaunchBackoff) {
		t.Fatalf("Driver right after a failed launch = %v, want ErrRelaunchBackoff", err)
	}
	poll.Until(t, 5*time.Second, "the fake driver", func() (bool, string) {
		_, err := m.Driver("fake")
		return err == nil, fmt.Sprint(err)
	})
	if launches, _ := l.Counts(); launches != 3 {
		t.Errorf("launches = %d, want 3", launches)
	}
}

// barrierLauncher lets no launch finish before all n have begun: with
// launches one after the other the first one times out.
type barrierLauncher struct {
	*clienttest.FakeLauncher
	begun chan struct{}
	n     int
}

func (b *barrierLauncher) Launch(spec drivers.PluginSpec) (drivermanager.Plugin, error) {
	b.begun <- struct{}{}
	deadline := time.After(10 * time.Second)
	for len(b.begun) < b.n {
		select {
		case <-deadline:
			return nil, fmt.Errorf("launch %s: the other plugins did not start launching meanwhile", spec.Name)
		case <-time.After(time.Millisecond):
		}
	}
	return b.FakeLauncher.Launch(spec)
}

// TestStartLaunchesPluginsAtOnce: Start launches every plugin concurrently
// (the node registers only once they are up).
func TestStartLaunchesPluginsAtOnce(t *testing.T) {
	specs := []drivers.PluginSpec{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	l := &barrierLauncher{FakeLauncher: clienttest.NewFakeLauncher(clienttest.NewFakeHost()), begun: make(chan struct{}, len(specs)), n: len(specs)}
	m := drivermanager.New(drivermanager.Config{
		Specs: specs, Launcher: l, Store: localstate.NewMemDB(),
		DataDir: t.TempDir(), FingerprintInterval: time.Hour, Logger: hclog.NewNullLogger(),
	})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Shutdown)
	for _, s := range specs {
		if _, err := m.Driver(s.Name); err != nil {
			t.Errorf("Driver(%s) after Start = %v, want the launched plugin", s.Name, err)
		}
	}
}
