package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The cluster harness: the real bin/nomadlike, built once by TestMain, run
// as separate agent processes on loopback. Every process a test starts is
// killed in t.Cleanup.

// nomadlikeBin is the binary TestMain built.
var nomadlikeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nomadlike-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	nomadlikeBin = filepath.Join(dir, "nomadlike")
	build := exec.Command("go", "build", "-o", nomadlikeBin, "github.com/nomadlike/nomadlike")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build nomadlike:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// loopbackPorts returns n distinct free TCP ports on 127.0.0.1.
func loopbackPorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// agentProc is one agent process.
type agentProc struct {
	t        *testing.T
	name     string
	args     []string
	dataDir  string
	logPath  string
	httpPort int
	rpcPort  int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *agentProc) httpAddr() string { return "http://127.0.0.1:" + strconv.Itoa(p.httpPort) }
func (p *agentProc) rpcAddr() string  { return "127.0.0.1:" + strconv.Itoa(p.rpcPort) }

// api returns a client for the agent.
func (p *agentProc) api() *api.Client {
	c, err := api.NewClient(api.Config{Address: p.httpAddr()})
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// start runs the agent; its output is appended to its log file.
func (p *agentProc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(nomadlikeBin, append([]string{"agent"}, p.args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so that killing it kills what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		log.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
}

// kill sends sig to the agent's process group and waits for it to exit.
func (p *agentProc) kill(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func (p *agentProc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// logTail returns the end of the agent's log, for failure messages.
func (p *agentProc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// serverCluster is n server agents that bootstrap together.
type serverCluster struct {
	t      *testing.T
	agents []*agentProc
}

// startServerCluster starts n servers with -bootstrap-expect n, each
// retry-joining the others.
func startServerCluster(t *testing.T, n int) *serverCluster {
	t.Helper()
	ports := loopbackPorts(t, 2*n)
	c := &serverCluster{t: t}
	root := t.TempDir()
	for i := 0; i < n; i++ {
		p := &agentProc{
			t: t, name: fmt.Sprintf("s%d", i+1), httpPort: ports[2*i], rpcPort: ports[2*i+1],
			dataDir: filepath.Join(root, fmt.Sprintf("s%d", i+1)), logPath: filepath.Join(root, fmt.Sprintf("s%d.log", i+1)),
		}
		c.agents = append(c.agents, p)
	}
	for _, p := range c.agents {
		p.args = []string{"-server", "-node", p.name, "-data-dir", p.dataDir, "-bind", "127.0.0.1",
			"-http-port", strconv.Itoa(p.httpPort), "-rpc-port", strconv.Itoa(p.rpcPort),
			"-bootstrap-expect", strconv.Itoa(n), "-log-level", "DEBUG"}
		for _, o := range c.agents {
			if o != p {
				p.args = append(p.args, "-retry-join", o.rpcAddr())
			}
		}
	}
	t.Cleanup(func() {
		for _, p := range c.agents {
			p.kill(syscall.SIGKILL)
		}
		if t.Failed() {
			for _, p := range c.agents {
				t.Logf("log of %s:\n%s", p.name, p.logTail())
			}
		}
	})
	for _, p := range c.agents {
		p.start()
	}
	return c
}

// waitLeader waits until every running agent names the same leader, and
// returns its index.
func (c *serverCluster) waitLeader(ctx context.Context) int {
	c.t.Helper()
	for {
		leader := ""
		agree := true
		for _, p := range c.agents {
			if !p.running() {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			l, err := p.api().Status().Leader(rctx)
			cancel()
			if err != nil || l == "" || (leader != "" && l != leader) {
				agree = false
				break
			}
			leader = l
		}
		if agree && leader != "" {
			for i, p := range c.agents {
				if p.rpcAddr() == leader && p.running() {
					return i
				}
			}
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			c.t.Fatalf("no agreed leader before the deadline (last seen %q)", leader)
		}
	}
}

// running returns the agents that run.
func (c *serverCluster) running() []*agentProc {
	var out []*agentProc
	for _, p := range c.agents {
		if p.running() {
			out = append(out, p)
		}
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}

// killStrays kills every process still running this test run's binary:
// driver plugins a client leaves running on purpose (so that a restarted
// agent can reattach) have their own process groups. The binary's path is
// unique to this run, so nothing else is touched.
func killStrays(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != nomadlikeBin {
			continue
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
