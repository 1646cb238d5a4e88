package drivermanager_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
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
	clienttest.WaitFor(t, 5*time.Second, func() (bool, string) {
		_, err := m.Driver("fake")
		return err == nil, fmt.Sprint(err)
	})
	if launches, _ := l.Counts(); launches != 3 {
		t.Errorf("launches = %d, want 3", launches)
	}
}
