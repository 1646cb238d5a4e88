package simnode

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// startSim starts a simulator against the given servers and stops it when
// the test ends.
func startSim(t *testing.T, cfg Config) *Simulator {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	if cfg.UpdateInterval == 0 {
		cfg.UpdateInterval = 20 * time.Millisecond
	}
	if cfg.WatchWait == 0 {
		cfg.WatchWait = 2 * time.Second
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Servers: []string{"127.0.0.1:4646"}, Count: 1}, true},
		{"no servers", Config{Count: 1}, false},
		{"empty server", Config{Servers: []string{""}, Count: 1}, false},
		{"zero count", Config{Servers: []string{"a:1"}}, false},
		{"negative cpu", Config{Servers: []string{"a:1"}, Count: 1, CPU: -1}, false},
		{"negative run time", Config{Servers: []string{"a:1"}, Count: 1, RunTime: -time.Second}, false},
		{"negative batch", Config{Servers: []string{"a:1"}, Count: 1, MaxBatch: -1}, false},
		{"bad scheme", Config{Servers: []string{"ftp://a:1"}, Count: 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("New(%+v) = %v, want an ErrConfig", tc.cfg, err)
			}
		})
	}
}

func TestNodesAreSeeded(t *testing.T) {
	ids := func(seed uint64) []string {
		s, err := New(Config{Servers: []string{"127.0.0.1:1"}, Count: 50, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return s.NodeIDs()
	}
	a, b, c := ids(7), ids(7), ids(8)
	seen := map[string]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("node %d: seed 7 gave %s and %s", i, a[i], b[i])
		}
		if a[i] == c[i] {
			t.Fatalf("node %d: seeds 7 and 8 both gave %s", i, a[i])
		}
		if seen[a[i]] {
			t.Fatalf("node ID %s repeated", a[i])
		}
		seen[a[i]] = true
	}
}

func TestRegisterAndHeartbeat(t *testing.T) {
	f := newFakeServer(t, 200*time.Millisecond)
	s := startSim(t, Config{
		Servers: []string{f.addr()}, Count: 20, Classes: []string{"c1", "c2"},
		Datacenter: "dc7", CPU: 2000, MemoryMB: 1024,
	})
	f.mu.Lock()
	if len(f.nodes) != 20 {
		t.Fatalf("registered %d nodes, want 20", len(f.nodes))
	}
	for i, id := range s.NodeIDs() {
		n := f.nodes[id]
		if n == nil {
			t.Fatalf("node %d (%s) not registered", i, id)
		}
		wantClass := []string{"c1", "c2"}[i%2]
		if n.NodeClass != wantClass || n.Datacenter != "dc7" {
			t.Errorf("node %d: class %q dc %q, want %q dc7", i, n.NodeClass, n.Datacenter, wantClass)
		}
		if n.NodeResources.Cpu.CpuShares != 2000 || n.NodeResources.Memory.MemoryMB != 1024 {
			t.Errorf("node %d: resources %+v", i, n.NodeResources)
		}
		for _, d := range []string{"exec", "raw_exec"} {
			if di := n.Drivers[d]; di == nil || !di.Healthy || n.Attributes["driver."+d] != "1" {
				t.Errorf("node %d: driver %s not healthy: %+v", i, d, di)
			}
		}
		if n.Status != nomadlike.NodeStatusReady || n.SecretID == "" {
			t.Errorf("node %d: status %q secret %q", i, n.Status, n.SecretID)
		}
	}
	f.mu.Unlock()
	// Every node heartbeats at least twice within a few TTLs.
	poll.UntilTrue(t, 10*time.Second, "two heartbeats per node", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for id := range f.nodes {
			if f.heartbeats[id] < 2 {
				return false
			}
		}
		return true
	})
}

func TestAllocLifecycle(t *testing.T) {
	service := fixture.Job()
	batch := fixture.BatchJob(1)
	cases := []struct {
		name       string
		job        *nomadlike.Job
		startDelay time.Duration
		runTime    time.Duration
		stop       bool // the server stops the allocation once running
		want       string
		wantEvents string
	}{
		{"batch exits at once", batch, 0, 0, false, nomadlike.AllocClientStatusComplete,
			"Received,Task Setup,Started,Terminated"},
		{"batch runs a while", batch, 20 * time.Millisecond, 50 * time.Millisecond, false,
			nomadlike.AllocClientStatusComplete, "Received,Task Setup,Started,Terminated"},
		{"service keeps running", service, 0, 0, false, nomadlike.AllocClientStatusRunning,
			"Received,Task Setup,Started"},
		{"service stopped by the server", service, 0, 0, true, nomadlike.AllocClientStatusComplete,
			"Received,Task Setup,Started,Killing,Killed"},
		{"long batch stopped by the server", batch, 0, time.Hour, true, nomadlike.AllocClientStatusComplete,
			"Received,Task Setup,Started,Killing,Killed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t, time.Minute)
			s := startSim(t, Config{Servers: []string{f.addr()}, Count: 3, StartDelay: tc.startDelay, RunTime: tc.runTime})
			nodes := s.NodeIDs()
			var ids []string
			for _, n := range nodes {
				ids = append(ids, f.place(tc.job, n, 4)...)
			}
			if tc.stop {
				poll.UntilTrue(t, 10*time.Second, "allocations running", func() bool {
					for _, id := range ids {
						if f.alloc(id).ClientStatus != nomadlike.AllocClientStatusRunning {
							return false
						}
					}
					return true
				})
				f.stop(ids)
			}
			poll.UntilTrue(t, 10*time.Second, "allocations "+tc.want, func() bool {
				for _, id := range ids {
					if f.alloc(id).ClientStatus != tc.want {
						return false
					}
				}
				return true
			})
			task := tc.job.TaskGroups[0].Tasks[0].Name
			for _, id := range ids {
				a := f.alloc(id)
				ts := a.TaskStates[task]
				if ts == nil {
					t.Fatalf("alloc %s: no state for task %q: %+v", id, task, a.TaskStates)
				}
				if got := eventTypes(ts); got != tc.wantEvents {
					t.Errorf("alloc %s events = %s, want %s", id, got, tc.wantEvents)
				}
				if ts.StartedAt.IsZero() {
					t.Errorf("alloc %s: StartedAt not set", id)
				}
				dead := tc.want == nomadlike.AllocClientStatusComplete
				if dead != (ts.State == nomadlike.TaskStateDead) || dead != (!ts.FinishedAt.Before(ts.StartedAt.Time) && !ts.FinishedAt.IsZero()) {
					t.Errorf("alloc %s: state %s started %v finished %v", id, ts.State, ts.StartedAt, ts.FinishedAt)
				}
			}
		})
	}
}

// statusRank orders client statuses along an allocation's life.
var statusRank = map[string]int{
	nomadlike.AllocClientStatusPending:  0,
	nomadlike.AllocClientStatusRunning:  1,
	nomadlike.AllocClientStatusComplete: 2,
}

func TestUpdatesBatchedAndOrdered(t *testing.T) {
	f := newFakeServer(t, time.Minute)
	const maxBatch = 16
	s := startSim(t, Config{Servers: []string{f.addr()}, Count: 10, MaxBatch: maxBatch,
		StartDelay: 5 * time.Millisecond, RunTime: 10 * time.Millisecond})
	job := fixture.BatchJob(50)
	var ids []string
	for _, n := range s.NodeIDs() {
		ids = append(ids, f.place(job, n, 50)...)
	}
	poll.UntilTrue(t, 15*time.Second, "500 allocations complete", func() bool {
		return s.Stats().Complete == uint64(len(ids))
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.calls {
		if n < 1 || n > maxBatch {
			t.Errorf("an update call carried %d allocations, want 1..%d", n, maxBatch)
		}
	}
	for _, id := range ids {
		h := f.history[id]
		if len(h) == 0 || h[len(h)-1] != nomadlike.AllocClientStatusComplete {
			t.Fatalf("alloc %s: statuses %v, want to end complete", id, h)
		}
		for i := 1; i < len(h); i++ {
			if statusRank[h[i]] < statusRank[h[i-1]] {
				t.Fatalf("alloc %s: statuses went backwards: %v", id, h)
			}
		}
	}
	st := s.Stats()
	if st.AllocsSeen != uint64(len(ids)) || st.QueuedUpdates != 0 {
		t.Errorf("stats %+v: want %d seen and nothing queued", st, len(ids))
	}
}

func TestReregistersWhenForgotten(t *testing.T) {
	f := newFakeServer(t, 100*time.Millisecond)
	s := startSim(t, Config{Servers: []string{f.addr()}, Count: 5})
	f.forget()
	poll.UntilTrue(t, 10*time.Second, "nodes registered again", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.nodes) == 5
	})
	if st := s.Stats(); st.Registered < 10 || st.HeartbeatErrors == 0 {
		t.Fatalf("stats %+v: want at least 10 registrations after 404 heartbeats", st)
	}
}

func TestFailsOverToAnotherServer(t *testing.T) {
	bad := newFakeServer(t, time.Minute)
	bad.setFail(true)
	good := newFakeServer(t, time.Minute)
	s := startSim(t, Config{Servers: []string{bad.addr(), good.addr()}, Count: 6})
	good.mu.Lock()
	n := len(good.nodes)
	good.mu.Unlock()
	if n != 6 {
		t.Fatalf("good server has %d nodes, want 6", n)
	}
	ids := good.place(fixture.BatchJob(1), s.NodeIDs()[0], 3)
	poll.UntilTrue(t, 10*time.Second, "allocations complete through the good server", func() bool {
		for _, id := range ids {
			if good.alloc(id).ClientStatus != nomadlike.AllocClientStatusComplete {
				return false
			}
		}
		return true
	})
}

func TestStartTwice(t *testing.T) {
	f := newFakeServer(t, time.Minute)
	s := startSim(t, Config{Servers: []string{f.addr()}, Count: 1})
	if err := s.Start(context.Background()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start = %v, want ErrStarted", err)
	}
}

type recordingObserver struct {
	seenCh, reportedCh chan string
}

func (o *recordingObserver) AllocSeen(_, allocID, _ string, _ time.Time) { o.seenCh <- allocID }
func (o *recordingObserver) AllocReported(allocID, _, status string, _ time.Time) {
	if status == nomadlike.AllocClientStatusComplete {
		o.reportedCh <- allocID
	}
}

func TestObserver(t *testing.T) {
	f := newFakeServer(t, time.Minute)
	o := &recordingObserver{seenCh: make(chan string, 10), reportedCh: make(chan string, 10)}
	s := startSim(t, Config{Servers: []string{f.addr()}, Count: 1, Observer: o})
	ids := f.place(fixture.BatchJob(2), s.NodeIDs()[0], 2)
	for _, ch := range []chan string{o.seenCh, o.reportedCh} {
		got := map[string]bool{}
		timeout := time.After(10 * time.Second)
		for len(got) < 2 {
			select {
			case id := <-ch:
				got[id] = true
			case <-timeout:
				t.Fatalf("observer heard %v, want %v", got, ids)
			}
		}
		for _, id := range ids {
			if !got[id] {
				t.Fatalf("observer heard %v, want %v", got, ids)
			}
		}
	}
}
