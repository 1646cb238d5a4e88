package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// restartConfig is s's config for a start on the same data dir and address.
func restartConfig(s *Server) Config {
	cfg := s.cfg
	_, trans := raft.NewInmemTransportWithTimeout(raft.ServerAddress(s.RPCAddr()), 200*time.Millisecond)
	cfg.RaftTransport = trans
	return cfg
}

// TestPeersJSONRecoversALostMajority: of three servers two are gone for
// good; the survivor, restarted with a peers.json that lists only itself,
// leads alone with its state. A peers.json that is not JSON or does not
// list the server stops the start and is left in place.
func TestPeersJSONRecoversALostMajority(t *testing.T) {
	servers := inmemCluster(t, 3, nil)
	leader := waitLeader(t, servers...)
	job := fixture.Job()
	if _, _, _, err := leader.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	survivor := servers[0]
	poll.Until(t, 10*time.Second, "the survivor has the job", func() (bool, string) {
		got, _ := survivor.State().JobByID(nil, job.Namespace, job.ID)
		return got != nil, "not yet"
	})
	for _, s := range servers {
		if err := s.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(survivor.cfg.DataDir, "raft", PeersFile)
	self := fmt.Sprintf(`[{"id": %q, "address": %q, "non_voter": false}]`, survivor.ID(), survivor.RPCAddr())
	for _, tc := range []struct{ name, doc, want string }{
		{"not json", `{"id": "x"`, "peers.json"},
		{"not this server", `[{"id": "someone-else", "address": "127.0.0.1:1"}]`, "does not list this server's ID"},
	} {
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := NewServer(restartConfig(survivor))
		if err == nil {
			s.Shutdown()
			t.Fatalf("%s: NewServer started", tc.name)
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: NewServer error %q, want it to name %s and contain %q", tc.name, err, path, tc.want)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: peers.json gone after a refused recovery: %v", tc.name, err)
		}
	}

	if err := os.WriteFile(path, []byte(self), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, restartConfig(survivor))
	waitLeader(t, s)
	if got, _ := s.State().JobByID(nil, job.Namespace, job.ID); got == nil {
		t.Fatal("job lost in the recovery")
	}
	if p := s.Peers(); len(p) != 1 || p[0].ID != survivor.ID() {
		t.Fatalf("peers after the recovery = %+v, want only the survivor", p)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("peers.json still there after the recovery: %v", err)
	}
	if _, _, _, err := s.RegisterJob(fixture.Job(), false, 0); err != nil {
		t.Fatalf("write after the recovery: %v", err)
	}
}
