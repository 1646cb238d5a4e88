package drivers

import (
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
)

// launchFakeWithGrace launches the fake plugin with an orphan grace.
func launchFakeWithGrace(t *testing.T, grace time.Duration) *Plugin {
	t.Helper()
	spec := fakeSpec()
	spec.Env = append(spec.Env, OrphanGraceEnv+"="+grace.String())
	p, err := Launch(spec, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(p.Kill)
	return p
}

// TestPluginOrphanExitsWithoutTasks: a plugin whose host went away and that
// runs no task exits after the orphan grace, while one that runs a task
// keeps it for the next host. The one with the task loses its host first,
// so once the idle one is gone its grace has passed too.
func TestPluginOrphanExitsWithoutTasks(t *testing.T) {
	const grace = 300 * time.Millisecond
	busy := launchFakeWithGrace(t, grace)
	idle := launchFakeWithGrace(t, grace)
	if _, err := busy.Driver().StartTask(fakeTaskConfigFor("t1", "run")); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	busyRC, idleRC := busy.ReattachConfig(), idle.ReattachConfig()
	busy.Disconnect()
	idle.Disconnect()

	waitGone(t, idleRC.Pid)
	p, err := Reattach("fake", busyRC, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Reattach to the plugin with a task after the grace: %v", err)
	}
	t.Cleanup(p.Kill)
	if st, err := p.Driver().InspectTask("t1"); err != nil || st.State != TaskStateRunning {
		t.Fatalf("InspectTask after the grace = %+v, %v; want the task kept", st, err)
	}
}

// TestLivenessOrphanedFor covers the bookkeeping with a fixed clock.
func TestLivenessOrphanedFor(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name  string
		setup func(l *liveness)
		want  time.Duration
	}{
		{"new, nothing yet", func(*liveness) {}, time.Minute},
		{"a host connected", func(l *liveness) { l.conns = 1 }, 0},
		{"a task, no host", func(l *liveness) { l.taskStarted("a") }, 0},
		{"the task destroyed", func(l *liveness) {
			l.taskStarted("a")
			l.taskGone("a")
			l.idleSince = t0 // taskGone stamps the wall clock
		}, time.Minute},
		{"one of two tasks destroyed", func(l *liveness) {
			l.taskStarted("a")
			l.taskStarted("b")
			l.taskGone("a")
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLiveness(t0)
			tc.setup(l)
			if got := l.orphanedFor(t0.Add(time.Minute)); got != tc.want {
				t.Errorf("orphanedFor(+1m) = %v, want %v", got, tc.want)
			}
		})
	}
}
