package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The client harness: one agent process that is both server and client
// (`agent -dev`, or a server+client on a data dir that survives a restart),
// driven through the CLI and the HTTP API. Everything it starts (the agent,
// its driver plugin processes, their tasks) is killed when the test ends;
// containerd daemons and their shims are left to ctrdtest, which deletes
// its containers first.

// devAgentOptions shape one agent.
type devAgentOptions struct {
	// config is extra agent HCL (plugin blocks, plugin_dir...).
	config string
	// persistent runs `agent -server -client -bootstrap-expect 1` with raft
	// and client state on disk, so that an agent killed and started again
	// on the same data dir finds its jobs and its tasks. Otherwise the agent
	// runs with -dev (server state in memory).
	persistent bool
	// logLevel is DEBUG unless set.
	logLevel string
	// tempDataDir runs -dev without -data-dir: the agent makes a temporary
	// data dir and removes it when it exits (driver SDK, e2e/sdk_*).
	tempDataDir bool
}

// devAgent is one agent process with its own data dir and ports.
type devAgent struct {
	*faultAgent
	tb  testing.TB
	dir string
}

// startDevAgent starts an agent on free loopback ports and waits until its
// node is ready with every driver the caller names healthy.
func startDevAgent(tb testing.TB, opts devAgentOptions, drivers ...string) *devAgent {
	tb.Helper()
	if err := becomeSubreaper(); err != nil {
		tb.Fatalf("become child subreaper: %v", err)
	}
	if opts.logLevel == "" {
		opts.logLevel = "DEBUG"
	}
	dir := tb.TempDir()
	ports := portsTB(tb, 2)
	cfgPath := filepath.Join(dir, "agent.hcl")
	cfg := "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n" + opts.config + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	args := []string{"agent", "-node", "dev1", "-data-dir", dataDir, "-config", cfgPath,
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]), "-log-level", opts.logLevel}
	if opts.tempDataDir {
		args = append(args[:3], args[5:]...)
	}
	if opts.persistent {
		args = append(args, "-server", "-client", "-bootstrap-expect", "1", "-bind", "127.0.0.1")
	} else {
		args = append(args, "-dev")
	}
	fa := &faultAgent{tb: tb, name: "dev1", args: args, dataDir: dataDir, logPath: filepath.Join(dir, "agent.log"),
		httpPort: ports[0], rpcPort: ports[1]}
	cl, err := api.NewClient(api.Config{Address: "http://" + fa.HTTPAddr()})
	if err != nil {
		tb.Fatal(err)
	}
	fa.client = cl
	a := &devAgent{faultAgent: fa, tb: tb, dir: dir}
	tb.Cleanup(func() {
		a.stopAll()
		if tb.Failed() {
			tb.Logf("----- agent log (tail) -----\n%s", a.logTail(12000))
		}
	})
	a.Start()
	a.waitReady(60*time.Second, drivers...)
	return a
}

// stopAll kills the agent, its plugins and their tasks, and removes the
// cgroups the exec driver made for its allocations (a killed plugin
// cannot). Calling it again is harmless.
func (a *devAgent) stopAll() {
	a.killGroup()
	killAgentTrees()
	removeTaskCgroups(a.dataDir)
}

// removeTaskCgroups removes the task cgroups of the allocations under
// dataDir ("<alloc ID>.<task>.<suffix>" below each hierarchy's nomadlike
// parent), which are empty once their processes are killed.
func removeTaskCgroups(dataDir string) {
	entries, err := os.ReadDir(filepath.Join(dataDir, "alloc"))
	if err != nil {
		return
	}
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/nomadlike")
	roots = append(roots, "/sys/fs/cgroup/nomadlike")
	for _, e := range entries {
		for _, r := range roots {
			dirs, _ := filepath.Glob(filepath.Join(r, e.Name()+".*"))
			for _, d := range dirs {
				_ = os.Remove(d)
			}
		}
	}
}

// address is the CLI flag that points at the agent.
func (a *devAgent) address() string { return "-address=http://" + a.HTTPAddr() }

// api returns the agent's HTTP API client.
func (a *devAgent) api() *api.Client { return a.client }

// waitReady waits until the agent's node is ready and the named drivers
// are healthy on it.
func (a *devAgent) waitReady(timeout time.Duration, drivers ...string) *nomadlike.Node {
	a.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var node *nomadlike.Node
	poll.Until(a.tb, ctxLeft(ctx), "the node to be ready", func() (bool, string) {
		var why string
		node, why = a.readyNode(ctx, drivers)
		if node == nil && !a.Running() {
			a.tb.Fatalf("agent exited while waiting for its node: %s", why)
		}
		return node != nil, why
	})
	return node
}

func (a *devAgent) readyNode(ctx context.Context, drivers []string) (*nomadlike.Node, string) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nodes, _, err := a.client.Nodes().List(rctx, nil)
	if err != nil {
		return nil, err.Error()
	}
	if len(nodes) != 1 || nodes[0].Status != nomadlike.NodeStatusReady {
		return nil, fmt.Sprintf("nodes %+v", nodes)
	}
	node, _, err := a.client.Nodes().Info(rctx, nodes[0].ID, nil)
	if err != nil {
		return nil, err.Error()
	}
	for _, d := range drivers {
		info := node.Drivers[d]
		if info == nil || !info.Healthy {
			return nil, fmt.Sprintf("driver %s not healthy: %+v", d, info)
		}
	}
	return node, ""
}

// crashAndRestart kills the agent alone with SIGKILL (its driver plugins
// and tasks keep running, as when an agent crashes) and starts it again on
// the same data dir and ports.
func (a *devAgent) crashAndRestart(drivers ...string) {
	a.tb.Helper()
	a.Kill()
	a.Start()
	a.waitReady(60*time.Second, drivers...)
}

// writeJob writes a job file into the test's directory and returns its path.
func (a *devAgent) writeJob(name, src string) string {
	a.tb.Helper()
	p := filepath.Join(a.dir, name+".nomad.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		a.tb.Fatal(err)
	}
	return p
}

// cli runs the CLI against the agent: nomadlike NOUN VERB -address=... ARGS.
func (a *devAgent) cli(ctx context.Context, noun, verb string, args ...string) (int, string) {
	a.tb.Helper()
	return runCLI(ctx, a.tb, append([]string{noun, verb, a.address()}, args...)...)
}

// mustCLI is cli that fails the test unless the command exits 0.
func (a *devAgent) mustCLI(ctx context.Context, noun, verb string, args ...string) string {
	a.tb.Helper()
	code, out := a.cli(ctx, noun, verb, args...)
	if code != 0 {
		a.tb.Fatalf("nomadlike %s %s %v = exit %d\n%s", noun, verb, args, code, out)
	}
	return out
}

// waitAllocs polls the job's allocations until cond holds for the list
// and returns it.
func (a *devAgent) waitAllocs(ctx context.Context, jobID, what string, cond func([]*nomadlike.AllocListStub) bool) []*nomadlike.AllocListStub {
	a.tb.Helper()
	var allocs []*nomadlike.AllocListStub
	poll.Until(a.tb, ctxLeft(ctx), "job "+jobID+": "+what, func() (bool, string) {
		var err error
		allocs, _, err = a.client.Jobs().Allocations(ctx, jobID, true, nil)
		return err == nil && cond(allocs), fmt.Sprintf("last %s (err %v)", describeAllocs(allocs), err)
	})
	return allocs
}

// waitOneAlloc waits until the job has exactly one allocation, in one of
// the client statuses given, and returns it.
func (a *devAgent) waitOneAlloc(ctx context.Context, jobID string, statuses ...string) *nomadlike.AllocListStub {
	a.tb.Helper()
	allocs := a.waitAllocs(ctx, jobID, "one allocation "+strings.Join(statuses, "|"), func(l []*nomadlike.AllocListStub) bool {
		if len(l) != 1 {
			return false
		}
		for _, s := range statuses {
			if l[0].ClientStatus == s {
				return true
			}
		}
		return false
	})
	return allocs[0]
}

func describeAllocs(l []*nomadlike.AllocListStub) string {
	var parts []string
	for _, a := range l {
		parts = append(parts, fmt.Sprintf("%s %s/%s %q", a.ID[:8], a.DesiredStatus, a.ClientStatus, a.ClientDescription))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// containerdProcs are the executables whose process trees belong to a
// containerd daemon; ctrdtest stops them after deleting its containers.
var containerdProcs = map[string]bool{"containerd": true, "containerd-shim-runc-v2": true}

// killAgentTrees SIGKILLs and reaps every descendant of the test process
// (agents, driver plugins, tasks: they run in their own sessions and are
// reparented to this process, a child subreaper, when their parent dies)
// except containerd daemons and shims and what runs below them.
func killAgentTrees() {
	self := os.Getpid()
	keep := map[int]bool{}
	for _, pid := range descendants(self) {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err == nil && containerdProcs[filepath.Base(strings.TrimSuffix(exe, " (deleted)"))] {
			keep[pid] = true
			for _, d := range descendants(pid) {
				keep[d] = true
			}
		}
	}
	var killed []int
	for _, pid := range descendants(self) {
		if !keep[pid] {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed = append(killed, pid)
		}
	}
	for _, pid := range killed {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
}

// pidsWithArgs returns the PIDs of the host processes whose command line
// is exactly args (tasks are found by a unique argument, whatever driver
// or PID namespace runs them).
func pidsWithArgs(args ...string) []int {
	want := strings.Join(args, "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.TrimRight(string(b), "\x00") == want && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// taskEvents returns the types of a task's events, oldest first.
func taskEvents(ts *nomadlike.TaskState) []string {
	if ts == nil {
		return nil
	}
	var out []string
	for _, e := range ts.Events {
		out = append(out, e.Type)
	}
	return out
}

// countString counts s in list.
func countString(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
