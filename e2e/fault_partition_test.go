package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// netLab is a small network of namespaces joined by a bridge: each server
// runs in its own namespace with its own IP, the test (in the host
// namespace) reaches every one of them through the bridge, and a partition
// is a pair of blackhole routes between two namespaces, which leaves the
// test's own view intact.
type netLab struct {
	t      *testing.T
	bridge string
	subnet string // "10.213.N"
	ns     []string
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetLab creates n namespaces on a fresh bridge; everything is removed
// when the test ends.
func newNetLab(t *testing.T, n int) *netLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the partition test creates network namespaces and needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("iproute2's ip is required")
	}
	tag := fmt.Sprintf("%04x", rand.IntN(1<<16))
	lab := &netLab{t: t, bridge: "nlbr" + tag, subnet: fmt.Sprintf("10.213.%d", 1+rand.IntN(250))}
	t.Cleanup(func() {
		for _, ns := range lab.ns {
			exec.Command("ip", "netns", "del", ns).Run()
		}
		exec.Command("ip", "link", "del", lab.bridge).Run()
	})
	ipCmd(t, "link", "add", lab.bridge, "type", "bridge")
	ipCmd(t, "addr", "add", lab.subnet+".1/24", "dev", lab.bridge)
	ipCmd(t, "link", "set", lab.bridge, "up")
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("nl%s-%d", tag, i)
		host := fmt.Sprintf("nlv%s%d", tag, i)
		ipCmd(t, "netns", "add", ns)
		lab.ns = append(lab.ns, ns)
		ipCmd(t, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns)
		ipCmd(t, "link", "set", host, "master", lab.bridge, "up")
		ipCmd(t, "-n", ns, "addr", "add", lab.ip(i)+"/24", "dev", "eth0")
		ipCmd(t, "-n", ns, "link", "set", "eth0", "up")
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
	}
	return lab
}

func (l *netLab) ip(i int) string { return fmt.Sprintf("%s.%d", l.subnet, 11+i) }

// cut makes i and j unreachable from each other (both directions).
func (l *netLab) cut(i, j int) {
	ipCmd(l.t, "-n", l.ns[i], "route", "add", "blackhole", l.ip(j)+"/32")
	ipCmd(l.t, "-n", l.ns[j], "route", "add", "blackhole", l.ip(i)+"/32")
}

// heal removes a cut.
func (l *netLab) heal(i, j int) {
	ipCmd(l.t, "-n", l.ns[i], "route", "del", "blackhole", l.ip(j)+"/32")
	ipCmd(l.t, "-n", l.ns[j], "route", "del", "blackhole", l.ip(i)+"/32")
}

// nsServer is a server agent running inside one namespace of the lab.
type nsServer struct {
	idx    int
	rpc    string
	client *api.Client
	cmd    *exec.Cmd
	log    string
}

func startNSServers(t *testing.T, lab *netLab) []*nsServer {
	t.Helper()
	var servers []*nsServer
	for i := range lab.ns {
		var join []string
		for j := range lab.ns {
			if j != i {
				join = append(join, "-retry-join", lab.ip(j)+":4647")
			}
		}
		dir := t.TempDir()
		logPath := filepath.Join(dir, "agent.log")
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"netns", "exec", lab.ns[i], nomadlikeBin, "agent", "-server",
			"-bind", lab.ip(i), "-http-port", "4646", "-rpc-port", "4647",
			"-bootstrap-expect", "3", "-data-dir", dir, "-node", fmt.Sprintf("server%d", i),
			"-log-level", "DEBUG"}, join...)
		cmd := exec.Command("ip", args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start server %d: %v", i, err)
		}
		c, err := api.NewClient(api.Config{Address: "http://" + lab.ip(i) + ":4646"})
		if err != nil {
			t.Fatal(err)
		}
		s := &nsServer{idx: i, rpc: lab.ip(i) + ":4647", client: c, cmd: cmd, log: logPath}
		servers = append(servers, s)
		t.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
			logf.Close()
			if t.Failed() {
				b, _ := os.ReadFile(logPath)
				t.Logf("----- server%d log (tail) -----\n%s", i, tailString(string(b), 3000))
			}
		})
	}
	return servers
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// leaderSeenBy is the raft address s names as leader, "" when none or unreachable.
func (s *nsServer) leaderSeenBy() string { return leaderOf(s.client) }

// agreed returns the server every one of among names as leader, or nil.
func agreed(among []*nsServer, all []*nsServer) *nsServer {
	var addr string
	for _, s := range among {
		l := s.leaderSeenBy()
		if l == "" || (addr != "" && l != addr) {
			return nil
		}
		addr = l
	}
	for _, s := range all {
		if s.rpc == addr {
			return s
		}
	}
	return nil
}

// register submits a job through s and reports whether it was acknowledged.
func register(s *nsServer, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := s.client.Jobs().Register(ctx, tinyJob(id, "p"), nil)
	return err
}

// TestFaultPartitionLeader isolates the leader from the other two servers:
// the majority elects a new leader, the old one steps down and cannot
// acknowledge writes, and after healing every acknowledged write is on
// every server.
func TestFaultPartitionLeader(t *testing.T) {
	lab := newNetLab(t, 3)
	servers := startNSServers(t, lab)

	var leader *nsServer
	poll.UntilTrue(t, 60*time.Second, "the three servers to agree on a leader", func() bool {
		leader = agreed(servers, servers)
		return leader != nil
	})
	var acked []string
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("before-%d", i)
		if err := register(leader, id); err != nil {
			t.Fatalf("register %s before the partition: %v", id, err)
		}
		acked = append(acked, id)
	}

	var majority []*nsServer
	for _, s := range servers {
		if s != leader {
			majority = append(majority, s)
			lab.cut(leader.idx, s.idx)
		}
	}
	start := time.Now()
	var newLeader *nsServer
	poll.UntilTrue(t, 30*time.Second, "the majority to elect a new leader", func() bool {
		newLeader = agreed(majority, servers)
		return newLeader != nil && newLeader != leader
	})
	t.Logf("new leader %s elected %v after the partition", newLeader.rpc, time.Since(start).Round(time.Millisecond))
	poll.UntilTrue(t, 30*time.Second, "the isolated leader to step down", func() bool {
		return leader.leaderSeenBy() != leader.rpc
	})

	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("during-%d", i)
		if err := register(newLeader, id); err != nil {
			t.Fatalf("register %s on the majority: %v", id, err)
		}
		acked = append(acked, id)
	}
	// The isolated server has no quorum: it must not acknowledge a write.
	if err := register(leader, "isolated-write"); err == nil {
		t.Fatal("the isolated old leader acknowledged a write without a quorum")
	}

	for _, s := range majority {
		lab.heal(leader.idx, s.idx)
	}
	poll.UntilTrue(t, 60*time.Second, "all three servers to agree on a leader after healing", func() bool {
		return agreed(servers, servers) != nil
	})
	for _, s := range servers {
		poll.UntilTrue(t, 30*time.Second, fmt.Sprintf("server%d to hold every acknowledged job", s.idx), func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			for _, id := range acked {
				if _, _, err := s.client.Jobs().Info(ctx, id, &api.QueryOptions{AllowStale: true}); err != nil {
					return false
				}
			}
			return true
		})
	}
}
