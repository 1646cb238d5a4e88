package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The agent harness: the real bin/nomadlike, built once by TestMain, run as
// separate agent processes on loopback (a cluster of servers and clients,
// or one agent of its own). Every process is started in its own process
// group and killed with its children (driver plugins, tasks) when the test
// ends.

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

// runCLI runs the binary with args and returns its exit code and combined
// output; it fails the test when the binary cannot be run at all.
func runCLI(ctx context.Context, tb testing.TB, args ...string) (int, string) {
	tb.Helper()
	cmd := exec.CommandContext(ctx, nomadlikeBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		tb.Fatalf("nomadlike %v: %v", args, err)
	}
	return 0, out.String()
}

// portsTB returns n distinct free TCP ports on 127.0.0.1 (freePorts for
// benchmarks too).
func portsTB(tb testing.TB, n int) []int {
	tb.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("listen: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// becomeSubreaper makes this test process the reaper of orphaned
// descendants: driver plugins and tasks start in their own sessions and
// outlive a killed agent, and must still be found and killed at the end.
var becomeSubreaper = sync.OnceValue(func() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
})

// descendants returns the PIDs whose parent chain leads to root.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[pid] = pp
		}
	}
	var out []int
	for pid := range parent {
		for p, hops := parent[pid], 0; p != 0 && hops < 64; p, hops = parent[p], hops+1 {
			if p == root {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// faultAgent is one agent process.
type faultAgent struct {
	tb       testing.TB
	name     string
	args     []string
	dataDir  string
	logPath  string
	httpPort int
	rpcPort  int // 0 for a client-only agent
	client   *api.Client

	mu     sync.Mutex
	cmd    *exec.Cmd
	doneCh chan struct{}
}

// HTTPAddr is the agent's HTTP address, "127.0.0.1:port".
func (a *faultAgent) HTTPAddr() string { return "127.0.0.1:" + strconv.Itoa(a.httpPort) }

// RPCAddr is the server's raft address.
func (a *faultAgent) RPCAddr() string { return "127.0.0.1:" + strconv.Itoa(a.rpcPort) }

// PID is the agent's process ID, 0 when it is not running.
func (a *faultAgent) PID() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil || a.cmd.Process == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

// Running reports whether the process is alive.
func (a *faultAgent) Running() bool {
	a.mu.Lock()
	done := a.doneCh
	a.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Start starts the process (again) with the same arguments and data dir.
func (a *faultAgent) Start() {
	a.tb.Helper()
	logf, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		a.tb.Fatalf("open log: %v", err)
	}
	fmt.Fprintf(logf, "\n===== start %s at %s =====\n", a.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(nomadlikeBin, a.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		a.tb.Fatalf("start %s: %v", a.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	a.mu.Lock()
	a.cmd, a.doneCh = cmd, done
	a.mu.Unlock()
}

// Signal sends sig to the agent process alone and does not wait.
func (a *faultAgent) Signal(sig syscall.Signal) error {
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return fmt.Errorf("signal %s: not started", a.name)
	}
	return cmd.Process.Signal(sig)
}

// Wait waits until the agent process exits and returns how it exited, or
// ctx's error first.
func (a *faultAgent) Wait(ctx context.Context) (*os.ProcessState, error) {
	a.mu.Lock()
	cmd, done := a.cmd, a.doneCh
	a.mu.Unlock()
	if cmd == nil {
		return nil, fmt.Errorf("wait %s: not started", a.name)
	}
	select {
	case <-done:
		return cmd.ProcessState, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Kill sends SIGKILL to the agent alone (its driver plugins and tasks are
// left alone, as when the agent crashes) and waits for it to exit.
func (a *faultAgent) Kill() { a.signal(syscall.SIGKILL, false) }

// Stop sends SIGINT and waits for a graceful exit, then SIGKILLs the group
// after 10s.
func (a *faultAgent) Stop() { a.signal(syscall.SIGINT, false) }

// killGroup kills the agent's whole process group.
func (a *faultAgent) killGroup() { a.signal(syscall.SIGKILL, true) }

func (a *faultAgent) signal(sig syscall.Signal, group bool) {
	a.mu.Lock()
	cmd, done := a.cmd, a.doneCh
	a.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	if group {
		_ = syscall.Kill(-pid, sig)
	} else {
		_ = syscall.Kill(pid, sig)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
}

// logTail returns the last n bytes of the agent's log.
func (a *faultAgent) logTail(n int) string {
	b, err := os.ReadFile(a.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// faultCluster is a set of agent processes of one test.
type faultCluster struct {
	tb      testing.TB
	dir     string
	servers []*faultAgent
	clients []*faultAgent
}

// clusterOptions shape a cluster.
type clusterOptions struct {
	servers, clients int
	// clientConfig is extra HCL for every client agent.
	clientConfig string
	// serverConfig is extra HCL for every server agent.
	serverConfig string
	logLevel     string
}

// newFaultCluster starts opts.servers servers joined into one raft cluster
// and opts.clients client agents pointed at all of them, and waits until
// there is a leader and every client node is ready. Everything is killed
// when the test ends; agent logs are printed when it failed.
func newFaultCluster(tb testing.TB, opts clusterOptions) *faultCluster {
	tb.Helper()
	if opts.logLevel == "" {
		opts.logLevel = "DEBUG"
	}
	if err := becomeSubreaper(); err != nil {
		tb.Fatalf("become child subreaper: %v", err)
	}
	c := &faultCluster{tb: tb, dir: tb.TempDir()}
	ports := portsTB(tb, 2*opts.servers+opts.clients)
	var joins, httpAddrs []string
	for i := 0; i < opts.servers; i++ {
		joins = append(joins, "127.0.0.1:"+strconv.Itoa(ports[2*i+1]))
		httpAddrs = append(httpAddrs, "127.0.0.1:"+strconv.Itoa(ports[2*i]))
	}
	tb.Cleanup(c.cleanup)
	for i := 0; i < opts.servers; i++ {
		name := fmt.Sprintf("server%d", i)
		args := []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(opts.servers),
			"-node", name, "-bind", "127.0.0.1", "-data-dir", filepath.Join(c.dir, name),
			"-http-port", strconv.Itoa(ports[2*i]), "-rpc-port", strconv.Itoa(ports[2*i+1]),
			"-log-level", opts.logLevel}
		if opts.serverConfig != "" {
			cfgPath := filepath.Join(c.dir, name+".hcl")
			if err := os.WriteFile(cfgPath, []byte(opts.serverConfig), 0o644); err != nil {
				tb.Fatal(err)
			}
			args = append(args, "-config", cfgPath)
		}
		for j, addr := range joins {
			if j != i {
				args = append(args, "-retry-join", addr)
			}
		}
		c.servers = append(c.servers, c.newAgent(name, args, ports[2*i], ports[2*i+1]))
	}
	for i := 0; i < opts.clients; i++ {
		name := fmt.Sprintf("client%d", i)
		port := ports[2*opts.servers+i]
		cfgPath := filepath.Join(c.dir, name+".hcl")
		cfg := fmt.Sprintf("plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n%s\n", opts.clientConfig)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			tb.Fatal(err)
		}
		args := []string{"agent", "-client", "-node", name, "-bind", "127.0.0.1",
			"-data-dir", filepath.Join(c.dir, name), "-http-port", strconv.Itoa(port),
			"-config", cfgPath, "-log-level", opts.logLevel}
		for _, addr := range httpAddrs {
			args = append(args, "-servers", addr)
		}
		c.clients = append(c.clients, c.newAgent(name, args, port, 0))
	}
	for _, a := range c.servers {
		a.Start()
	}
	c.waitLeader(c.servers, 60*time.Second)
	for _, a := range c.clients {
		a.Start()
	}
	if len(c.clients) > 0 {
		c.waitClientsReady(60 * time.Second)
	}
	return c
}

func (c *faultCluster) newAgent(name string, args []string, httpPort, rpcPort int) *faultAgent {
	return newAgent(c.tb, c.dir, name, args, httpPort, rpcPort)
}

// newAgent returns an agent process, not started, that runs the binary
// with args (the first is the command, "agent") and logs to dir/name.log;
// its dataDir is dir/name, which args name with -data-dir if it needs one.
func newAgent(tb testing.TB, dir, name string, args []string, httpPort, rpcPort int) *faultAgent {
	a := &faultAgent{
		tb: tb, name: name, args: args, dataDir: filepath.Join(dir, name),
		logPath: filepath.Join(dir, name+".log"), httpPort: httpPort, rpcPort: rpcPort,
	}
	cl, err := api.NewClient(api.Config{Address: a.HTTPAddr(), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		tb.Fatal(err)
	}
	a.client = cl
	return a
}

// startAgent starts one agent of its own on free loopback ports: args
// (after "agent") get "-http-port" and "-rpc-port". It is killed with its
// children when the test ends, and its log printed when the test failed.
func startAgent(tb testing.TB, name string, args ...string) *faultAgent {
	tb.Helper()
	if err := becomeSubreaper(); err != nil {
		tb.Fatalf("become child subreaper: %v", err)
	}
	ports := portsTB(tb, 2)
	args = append(append([]string{"agent"}, args...),
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]))
	a := newAgent(tb, tb.TempDir(), name, args, ports[0], ports[1])
	tb.Cleanup(func() { stopAgents(tb, []*faultAgent{a}) })
	a.Start()
	return a
}

func (c *faultCluster) cleanup() {
	stopAgents(c.tb, append(append([]*faultAgent(nil), c.servers...), c.clients...))
}

// stopAgents kills every agent, then every other descendant of the test
// process (driver plugins and tasks the agents started, which run in their
// own sessions), and when the test failed prints the tail of each log.
func stopAgents(tb testing.TB, all []*faultAgent) {
	for _, a := range all {
		a.killGroup()
	}
	killDescendants()
	if dir := os.Getenv("NOMADLIKE_E2E_LOG_DIR"); dir != "" {
		// Keep the agents' logs for a look after the run.
		for _, a := range all {
			if b, err := os.ReadFile(a.logPath); err == nil {
				name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()) + "-" + a.name + ".log"
				_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
		}
	}
	if tb.Failed() {
		for _, a := range all {
			tb.Logf("----- %s log (tail) -----\n%s", a.name, a.logTail(6000))
		}
	}
}

// killDescendants SIGKILLs and reaps every process below this one that is
// not a running agent (those are killed and waited for by their faultAgent).
func killDescendants() {
	self := os.Getpid()
	for _, pid := range descendants(self) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// Reap the ones that were reparented to us (Wait4 fails at once with
	// ECHILD for the others, which their own dying parents reap).
	for _, pid := range descendants(self) {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
}

// leaderOf asks a server's API for the leader's RPC address, "" when there
// is none or the server does not answer within 2s.
func leaderOf(cl *api.Client) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l, err := cl.Status().Leader(ctx)
	if err != nil {
		return ""
	}
	return l
}

// waitLeader waits until every running server in among agrees on one leader
// that is itself running, and returns it.
func (c *faultCluster) waitLeader(among []*faultAgent, timeout time.Duration) *faultAgent {
	c.tb.Helper()
	var l *faultAgent
	poll.UntilTrue(c.tb, timeout, fmt.Sprintf("an agreed leader among %d servers", len(among)), func() bool {
		l = c.agreedLeader(among)
		return l != nil
	})
	return l
}

// agreedLeader returns the leader every running server in among names, or nil.
func (c *faultCluster) agreedLeader(among []*faultAgent) *faultAgent {
	var addr string
	for _, s := range among {
		if !s.Running() {
			continue
		}
		l := leaderOf(s.client)
		if l == "" || (addr != "" && l != addr) {
			return nil
		}
		addr = l
	}
	for _, s := range among {
		if s.RPCAddr() == addr && s.Running() {
			return s
		}
	}
	return nil
}

// runningServers returns the servers whose processes are alive.
func (c *faultCluster) runningServers() []*faultAgent {
	var out []*faultAgent
	for _, s := range c.servers {
		if s.Running() {
			out = append(out, s)
		}
	}
	return out
}

// waitClientsReady waits until every client agent's node is ready.
func (c *faultCluster) waitClientsReady(timeout time.Duration) {
	c.tb.Helper()
	want := map[string]bool{}
	for _, a := range c.clients {
		want[a.name] = true
	}
	poll.UntilTrue(c.tb, timeout, "client nodes ready", func() bool {
		nodes, _, err := c.api().Nodes().List(context.Background(), nil)
		if err != nil {
			return false
		}
		ready := 0
		for _, n := range nodes {
			if want[n.Name] && n.Status == "ready" {
				ready++
			}
		}
		return ready == len(want)
	})
}

// api returns a client of the first running server.
func (c *faultCluster) api() *api.Client {
	for _, s := range c.servers {
		if s.Running() {
			return s.client
		}
	}
	return c.servers[0].client
}

// ctxLeft is the time left before ctx's deadline: the timeout of a wait
// (poll.Until) bounded by the test's context. A minute when ctx has none.
func ctxLeft(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return time.Minute
}

// killPID SIGKILLs one process.
func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && len(b) > i+2 && b[i+2] != 'Z'
}

// sortedInts returns a sorted copy.
func sortedInts(in []int) []int {
	out := append([]int(nil), in...)
	sort.Ints(out)
	return out
}
