package allocrunner

import (
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
)

// preKillRecorder is a pre-kill hook that records when it ran and how
// many tasks were running then.
type preKillRecorder struct {
	host    *clienttest.FakeHost
	mu      sync.Mutex
	calls   int
	at      time.Time
	running int
}

func (p *preKillRecorder) Name() string { return "recorder" }

func (p *preKillRecorder) PreKill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	p.at = time.Now()
	p.running = len(p.host.Running())
}

// TestShutdownDelayAfterPreKill: stopping an allocation runs the pre-kill
// hooks once while the task still runs (the services deregister there),
// then waits the group's and the task's shutdown_delay before the kill.
func TestShutdownDelayAfterPreKill(t *testing.T) {
	h := newHarness(t)
	svc := task("svc", map[string]any{"run_for": "1h"})
	svc.ShutdownDelay = 150 * time.Millisecond
	a := batchAlloc(svc)
	groupDelay := 200 * time.Millisecond
	a.Job.TaskGroups[0].ShutdownDelay = &groupDelay
	rec := &preKillRecorder{host: h.host}
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: fakeDrivers{clienttest.NewFakeDriver(h.host, "fake")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: h.updater,
		Logger: hclog.NewNullLogger(), PreKillHooks: []AllocPreKillHook{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)

	stop := a.Copy()
	stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
	ar.Update(stop)
	final := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.calls != 1 || rec.running != 1 {
		t.Fatalf("pre-kill hook ran %d times with %d tasks running, want once with 1", rec.calls, rec.running)
	}
	ts := final.TaskStates["svc"]
	wait, kill := findEvent(ts, "Waiting for shutdown delay"), findEvent(ts, nomadlike.TaskEventKilling)
	if wait == nil || kill == nil {
		t.Fatalf("events %v, want the shutdown delay wait then Killing", eventTypes(ts))
	}
	// Lower bounds only: the delays are waited at least this long.
	if got := time.Unix(0, kill.Time).Sub(rec.at); got < groupDelay+svc.ShutdownDelay {
		t.Errorf("kill %s after the pre-kill hook, want at least the group's and the task's delays (%s)", got, groupDelay+svc.ShutdownDelay)
	}
}
