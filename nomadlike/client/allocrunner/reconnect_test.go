package allocrunner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
)

// fastReconnect makes the runners of one test give up on a dead driver
// quickly.
func fastReconnect(t *testing.T, budget time.Duration) {
	old := defaultReconnect
	defaultReconnect = reconnectPolicy{First: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: budget, MaxReconnects: 3}
	t.Cleanup(func() { defaultReconnect = old })
}

// pluginRunner runs a in a runner whose "fake" driver is a plugin of a
// real driver manager, so that the plugin can die and be relaunched.
func (h *harness) pluginRunner(a *nomadlike.Allocation) (*AllocRunner, *clienttest.FakeLauncher) {
	h.t.Helper()
	l := clienttest.NewFakeLauncher(h.host)
	m := drivermanager.New(drivermanager.Config{
		Specs: []drivers.PluginSpec{{Name: "fake"}}, Launcher: l, Store: localstate.NewMemDB(),
		DataDir: h.t.TempDir(), FingerprintInterval: time.Hour, Logger: hclog.NewNullLogger(),
	})
	if err := m.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(m.Shutdown)
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: m, DB: h.db, Node: func() *nomadlike.Node { return h.node },
		Updater: h.updater, Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	go ar.Run()
	h.t.Cleanup(ar.Destroy)
	return ar, l
}

// TestPluginDeathRecoversTask: the driver plugin dies while the task runs
// and cannot be relaunched at once; the runner waits for it, recovers the
// task and reports the task's real exit code.
func TestPluginDeathRecoversTask(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		status string
	}{
		{"exit 7 fails the alloc", 7, nomadlike.AllocClientStatusFailed},
		{"exit 0 completes it", 0, nomadlike.AllocClientStatusComplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fastReconnect(t, 10*time.Second)
			h := newHarness(t)
			a := batchAlloc(task("job", map[string]any{"run_for": "1h"}))
			ar, l := h.pluginRunner(a)
			waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
			running := h.host.Running()
			if len(running) != 1 {
				t.Fatalf("running = %v", running)
			}
			l.FailLaunches(3)
			l.KillPlugins()
			poll.Until(t, 5*time.Second, "the relaunch and recovery", func() (bool, string) {
				launches, _ := l.Counts()
				return launches == 2 && slices.Contains(h.host.Events(), "recover job"), fmt.Sprintf("launches %d events %v", launches, h.host.Events())
			})
			h.host.ExitTask(running[0], tc.code)
			got := waitStatus(t, ar, tc.status)
			ts := got.TaskStates["job"]
			term := findEvent(ts, nomadlike.TaskEventTerminated)
			if term == nil || term.ExitCode != tc.code {
				t.Fatalf("Terminated event = %+v, want exit code %d; %s", term, tc.code, describe(got))
			}
			if findEvent(ts, taskEventDriver) == nil {
				t.Errorf("no %q event telling the task was recovered: %v", taskEventDriver, eventTypes(ts))
			}
			if n := h.host.Starts(a.ID, "job"); n != 1 {
				t.Errorf("task started %d times, want 1", n)
			}
		})
	}
}

// TestPluginDeathUnrecoverableKillsTask: a task the new plugin cannot
// recover is given up after the retry budget, and its processes are
// destroyed rather than left running.
func TestPluginDeathUnrecoverableKillsTask(t *testing.T) {
	fastReconnect(t, 300*time.Millisecond)
	h := newHarness(t)
	a := batchAlloc(task("job", map[string]any{"run_for": "1h"}))
	ar, l := h.pluginRunner(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	h.host.FailRecover(true)
	l.KillPlugins()
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	if r := h.host.Running(); len(r) != 0 {
		t.Errorf("task left running after it was given up: %v", r)
	}
	ts := got.TaskStates["job"]
	fail := findEvent(ts, nomadlike.TaskEventDriverFailure)
	if fail == nil || !strings.Contains(fail.DisplayMessage, ErrDriverLost.Error()) {
		t.Errorf("driver failure event = %+v; %s", fail, describe(got))
	}
	if !slices.Contains(h.host.Events(), "destroy job") {
		t.Errorf("task not destroyed: events %v", h.host.Events())
	}
}

// TestPluginDeathThenKill: the alloc is stopped while the driver plugin is
// down; once the plugin is back the task is recovered and destroyed, not
// left running.
func TestPluginDeathThenKill(t *testing.T) {
	fastReconnect(t, 10*time.Second)
	h := newHarness(t)
	a := batchAlloc(task("job", map[string]any{"run_for": "1h"}))
	ar, l := h.pluginRunner(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	l.FailLaunches(1 << 20)
	l.KillPlugins()
	stopped := a.Copy()
	stopped.DesiredStatus = nomadlike.AllocDesiredStatusStop
	ar.Update(stopped)
	l.FailLaunches(0)
	poll.Until(t, 10*time.Second, "the alloc to stop", func() (bool, string) {
		return ar.Alloc().ClientTerminalStatus() && len(h.host.Running()) == 0,
			fmt.Sprintf("status %s running %v; %s", ar.Alloc().ClientStatus, h.host.Running(), describe(ar.Alloc()))
	})
}
