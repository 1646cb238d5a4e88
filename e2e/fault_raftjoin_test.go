package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// raftPeers returns the raft configuration as the server behind cl sees
// it, by raft address; nil when it does not answer.
func raftPeers(ctx context.Context, cl *api.Client) map[string]*api.RaftServer {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	rc, err := cl.Operator().RaftConfiguration(ctx, &api.QueryOptions{AllowStale: true})
	if err != nil {
		return nil
	}
	out := map[string]*api.RaftServer{}
	for _, s := range rc.Servers {
		out[s.Address] = s
	}
	return out
}

// extraServer returns a server agent, not started, that joins the
// cluster's servers with the cluster key in keyFile.
func (c *faultCluster) extraServer(name, keyFile string) *faultAgent {
	ports := portsTB(c.tb, 2)
	args := []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(len(c.servers)),
		"-node", name, "-bind", "127.0.0.1", "-data-dir", filepath.Join(c.dir, name),
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]),
		"-log-level", "DEBUG", "-config", keyFile}
	for _, s := range c.servers {
		args = append(args, "-retry-join", s.RPCAddr())
	}
	a := c.newAgent(name, args, ports[0], ports[1])
	c.servers = append(c.servers, a)
	return a
}

func writeKeyConfig(tb testing.TB, dir, name, key string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(fmt.Sprintf("server {\n  encrypt = %q\n}\n", key)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestFaultRaftKeyedJoinAndRemovePeer: three servers share a cluster key
// made by `operator gossip keyring generate`. A fourth server with the key
// joins as a voter; one with another key is refused. The fourth is killed
// for good and `operator raft remove-peer` (with the key as the token)
// takes it out, so that the cluster then survives losing one of the three:
// with the dead fourth still a voter, two of four would be no quorum.
func TestFaultRaftKeyedJoinAndRemovePeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code, out := runCLI(ctx, t, "operator", "gossip", "keyring", "generate")
	key := strings.TrimSpace(out)
	if code != 0 || len(key) != 44 {
		t.Fatalf("keyring generate = %d %q", code, out)
	}
	c := newFaultCluster(t, clusterOptions{servers: 3, serverConfig: fmt.Sprintf("server {\n  encrypt = %q\n}\n", key)})
	keyFile := writeKeyConfig(t, c.dir, "key.hcl", key)
	wrongFile := writeKeyConfig(t, c.dir, "wrong.hcl", strings.Repeat("A", 43)+"=")

	fourth := c.extraServer("server3", keyFile)
	fourth.Start()
	poll.UntilTrue(c.tb, 60*time.Second, "the keyed fourth server is a voter", func() bool {
		p := raftPeers(ctx, c.api())
		return len(p) == 4 && p[fourth.RPCAddr()] != nil && p[fourth.RPCAddr()].Voter
	})
	fourthID := raftPeers(ctx, c.api())[fourth.RPCAddr()].ID

	intruder := c.extraServer("intruder", wrongFile)
	intruder.Start()
	poll.UntilTrue(c.tb, 60*time.Second, "a server logs the refused join", func() bool {
		for _, s := range c.servers[:3] {
			if strings.Contains(s.logTail(1<<20), "join refused") {
				return true
			}
		}
		return false
	})
	if p := raftPeers(ctx, c.api()); len(p) != 4 || p[intruder.RPCAddr()] != nil {
		t.Fatalf("raft configuration after the wrong-key join: %v", p)
	}
	intruder.Kill()

	fourth.Kill()
	leader := c.waitLeader(c.servers[:3], 60*time.Second)
	addr := "http://" + leader.HTTPAddr()
	if code, out := runCLI(ctx, t, "operator", "raft", "remove-peer", "-address", addr, "-peer-id", fourthID); code == 0 || !strings.Contains(out, "permission denied") {
		t.Fatalf("remove-peer without the token = %d %q, want permission denied", code, out)
	}
	if code, out := runCLI(ctx, t, "operator", "raft", "remove-peer", "-address", addr, "-token", key, "-peer-id", fourthID); code != 0 {
		t.Fatalf("remove-peer = %d %q", code, out)
	}
	poll.UntilTrue(c.tb, 30*time.Second, "three voters", func() bool {
		p := raftPeers(ctx, c.api())
		return len(p) == 3 && p[fourth.RPCAddr()] == nil
	})

	// Lose one of the three: two of three still elect and commit.
	for _, s := range c.servers[:3] {
		if s != leader {
			s.Kill()
			break
		}
	}
	c.waitLeader(c.servers[:3], 60*time.Second)
	poll.UntilTrue(c.tb, 60*time.Second, "a job registered after losing a server", func() bool {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		_, _, err := c.api().Jobs().Register(rctx, tinyJob("after-remove-peer", "x"), nil)
		return err == nil
	})
}

// TestFaultPeersJSONRecovery: a three-server cluster loses two servers for
// good; the survivor has no quorum. It is stopped, given a peers.json that
// lists only itself, and started: it leads alone and still has the job.
func TestFaultPeersJSONRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3})
	survivor := c.servers[0]
	job := tinyJob("survives-the-outage", "x")
	if _, _, err := c.api().Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	stale := &api.QueryOptions{AllowStale: true}
	poll.UntilTrue(c.tb, 30*time.Second, "the survivor has the job", func() bool {
		_, _, err := survivor.client.Jobs().Info(ctx, job.ID, stale)
		return err == nil
	})
	c.servers[1].Kill()
	c.servers[2].Kill()
	poll.UntilTrue(c.tb, 60*time.Second, "the survivor has no leader", func() bool { return leaderOf(survivor.client) == "" })

	survivor.Stop()
	if _, err := survivor.Wait(ctx); err != nil {
		t.Fatalf("stop the survivor: %v", err)
	}
	idBytes, err := os.ReadFile(filepath.Join(survivor.dataDir, "server", "server-id"))
	if err != nil {
		t.Fatal(err)
	}
	peers := filepath.Join(survivor.dataDir, "server", "raft", "peers.json")
	doc := fmt.Sprintf("[\n  {\"id\": %q, \"address\": %q, \"non_voter\": false}\n]\n", strings.TrimSpace(string(idBytes)), survivor.RPCAddr())
	if err := os.WriteFile(peers, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	survivor.Start()
	c.waitLeader([]*faultAgent{survivor}, 60*time.Second)
	if _, _, err := survivor.client.Jobs().Info(ctx, job.ID, nil); err != nil {
		t.Fatalf("job after the recovery: %v", err)
	}
	if _, err := os.Stat(peers); !os.IsNotExist(err) {
		t.Errorf("peers.json still there after the recovery (%v)", err)
	}
	if _, _, err := survivor.client.Jobs().Register(ctx, tinyJob("after-recovery", "x"), nil); err != nil {
		t.Fatalf("register after the recovery: %v", err)
	}
}
