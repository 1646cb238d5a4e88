package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// inmemCluster starts n servers on connected in-memory transports; the
// first bootstraps and adds the others.
func inmemCluster(t *testing.T, n int, mutate func(i int, c *Config)) []*Server {
	t.Helper()
	var cfgs []Config
	var trans []*raft.InmemTransport
	for i := 0; i < n; i++ {
		c := testConfig(t)
		c.Dev = false
		c.DataDir = t.TempDir()
		c.BootstrapExpect = 1
		if i > 0 {
			c.BootstrapExpect = n // never reaches n alone: waits to be added
		}
		if mutate != nil {
			mutate(i, &c)
		}
		cfgs = append(cfgs, c)
		trans = append(trans, c.RaftTransport.(*raft.InmemTransport))
	}
	for i := range trans {
		for j := range trans {
			if i != j {
				trans[i].Connect(trans[j].LocalAddr(), trans[j])
			}
		}
	}
	var servers []*Server
	for _, c := range cfgs {
		servers = append(servers, startServer(t, c))
	}
	leader := waitLeader(t, servers[0])
	for _, s := range servers[1:] {
		if err := leader.addVoter(s.ID(), s.RPCAddr()); err != nil {
			t.Fatalf("addVoter: %v", err)
		}
	}
	poll.Until(t, 10*time.Second, "all servers see the leader", func() (bool, string) {
		for _, s := range servers {
			if addr, _ := s.Leader(); addr == "" {
				return false, s.cfg.NodeName + " knows no leader"
			}
		}
		return true, ""
	})
	return servers
}

func TestClusterFailoverKeepsAcknowledgedJobs(t *testing.T) {
	servers := inmemCluster(t, 3, nil)
	leader := waitLeader(t, servers...)

	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
			break
		}
	}
	if _, _, _, err := follower.RegisterJob(fixture.Job(), false, 0); !errors.Is(err, nomadlike.ErrNotLeader) {
		t.Fatalf("RegisterJob on follower = %v, want ErrNotLeader", err)
	}

	// Register jobs, retrying on whichever server leads: only the writes
	// that returned success count as acknowledged.
	var acked []*nomadlike.Job
	var lastIndex uint64
	for i := 0; i < 10; i++ {
		j := fixture.Job()
		poll.Until(t, 10*time.Second, "an acknowledged write", func() (bool, string) {
			l := waitLeader(t, servers...)
			_, idx, _, err := l.RegisterJob(j, false, 0)
			if err != nil {
				return false, err.Error()
			}
			leader, lastIndex = l, idx
			return true, ""
		})
		acked = append(acked, j)
	}
	if err := leader.Shutdown(); err != nil {
		t.Fatalf("Shutdown leader: %v", err)
	}
	var rest []*Server
	for _, s := range servers {
		if s != leader {
			rest = append(rest, s)
		}
	}
	newLeader := waitLeader(t, rest...)
	if newLeader == leader {
		t.Fatal("old leader still leads")
	}
	// The new leader has every acknowledged entry in its log; wait until
	// its state machine has applied them.
	poll.Until(t, 10*time.Second, "new leader applies the acknowledged log", func() (bool, string) {
		idx, _ := newLeader.State().LatestIndex()
		return idx >= lastIndex, fmt.Sprintf("applied %d < %d", idx, lastIndex)
	})
	for _, j := range acked {
		got, err := newLeader.State().JobByID(nil, j.Namespace, j.ID)
		if err != nil || got == nil {
			t.Fatalf("acknowledged job %s missing on the new leader (%v)", j.ID, err)
		}
	}
	// The new leader takes writes.
	var err error
	poll.Until(t, 10*time.Second, "a write on the new leader", func() (bool, string) {
		_, _, _, err = newLeader.RegisterJob(fixture.Job(), false, 0)
		return err == nil, fmt.Sprint(err)
	})
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t)
	cfg.Dev = false
	cfg.DataDir = dir
	cfg.SnapshotThreshold = 1 << 20 // snapshots only when asked
	s := startServer(t, cfg)
	waitLeader(t, s)
	first := fixture.Job()
	if _, _, _, err := s.RegisterJob(first, false, 0); err != nil {
		t.Fatal(err)
	}
	// A snapshot, then more log after it: the restart needs both.
	if err := s.SnapshotSave(io.Discard); err != nil {
		t.Fatalf("SnapshotSave: %v", err)
	}
	second := fixture.Job()
	_, lastIndex, _, err := s.RegisterJob(second, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := s.RPCAddr()
	if err := s.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	cfg2 := cfg
	_, trans := raft.NewInmemTransportWithTimeout(raft.ServerAddress(addr), 200*time.Millisecond)
	cfg2.RaftTransport = trans
	s2 := startServer(t, cfg2)
	if s2.ID() != s.ID() {
		t.Fatalf("restarted server ID %s, want %s", s2.ID(), s.ID())
	}
	waitLeader(t, s2)
	// A server that says it leads serves reads from its store: by then it
	// must have replayed the log written before the restart (the leadership
	// barrier), or reads would answer "not found" for acknowledged jobs.
	if idx, _ := s2.State().LatestIndex(); idx < lastIndex {
		t.Fatalf("leader's state at index %d before replaying the log up to %d", idx, lastIndex)
	}
	for _, j := range []*nomadlike.Job{first, second} {
		if got, _ := s2.State().JobByID(nil, j.Namespace, j.ID); got == nil {
			t.Fatalf("job %s lost across restart", j.ID)
		}
	}
}

// freePorts reserves n distinct localhost ports.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// TestTCPRetryJoinBootstrap runs three servers on real TCP that find each
// other through the join service, bootstrap together with
// BootstrapExpect=3, and learn each other's HTTP addresses.
func TestTCPRetryJoinBootstrap(t *testing.T) {
	servers := tcpCluster(t, 3, nil)
	leader := waitLeader(t, servers...)
	poll.Until(t, 10*time.Second, "three voters and leader HTTP address everywhere", func() (bool, string) {
		for _, s := range servers {
			if p := s.Peers(); len(p) != 3 {
				return false, fmt.Sprintf("%s sees %d peers", s.cfg.NodeName, len(p))
			}
			if _, http := s.Leader(); http != leader.cfg.HTTPAddr {
				return false, fmt.Sprintf("%s reports leader HTTP %q, want %q", s.cfg.NodeName, http, leader.cfg.HTTPAddr)
			}
		}
		return true, ""
	})
	if _, _, _, err := leader.RegisterJob(fixture.Job(), false, 0); err != nil {
		t.Fatalf("RegisterJob over TCP raft: %v", err)
	}
}

func TestSnapshotSaveRestore(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	kept := fixture.Job()
	if _, _, _, err := s.RegisterJob(kept, false, 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.SnapshotSave(&buf); err != nil {
		t.Fatalf("SnapshotSave: %v", err)
	}
	dropped := fixture.Job()
	if _, _, _, err := s.RegisterJob(dropped, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SnapshotRestore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("SnapshotRestore: %v", err)
	}
	if got, _ := s.State().JobByID(nil, kept.Namespace, kept.ID); got == nil {
		t.Fatal("job in the snapshot missing after restore")
	}
	if got, _ := s.State().JobByID(nil, dropped.Namespace, dropped.ID); got != nil {
		t.Fatal("job registered after the snapshot survived the restore")
	}
	if err := s.SnapshotRestore(bytes.NewReader([]byte("garbage"))); !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("SnapshotRestore(garbage) = %v, want ErrValidation", err)
	}
	// Writes still work after a restore.
	if _, _, _, err := s.RegisterJob(fixture.Job(), false, 0); err != nil {
		t.Fatalf("RegisterJob after restore: %v", err)
	}
}
