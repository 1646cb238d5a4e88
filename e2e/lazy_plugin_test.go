package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Lazily launched built-in driver plugins (issue #19, idle memory): an
// agent fingerprints exec and raw_exec in process and runs no plugin
// process until a task needs one; a plugin with no task exits after
// client.plugin_idle_grace and is launched again on the next task; a task
// keeps running across an agent SIGKILL and restart (its plugin is
// reattached). Before, every built-in plugin ran from the agent's start
// to its end.

// lazyGraceConfig is the agent HCL for a short idle grace.
func lazyGraceConfig(grace string) string {
	return fmt.Sprintf("client {\n  plugin_idle_grace = %q\n}\n", grace)
}

// driverPlugins lists the agent's driver plugin processes ("driver NAME"
// children) as name -> PID.
func (a *devAgent) driverPlugins() map[string]int {
	out := map[string]int{}
	for _, pid := range descendants(a.PID()) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !alive(pid) {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 3 && args[1] == "driver" {
			out[args[2]] = pid
		}
	}
	return out
}

// waitNoPlugins waits until the agent has no plugin process.
func (a *devAgent) waitNoPlugins(ctx context.Context, t *testing.T, why string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), why+": no plugin process", func() (bool, string) {
		procs := a.driverPlugins()
		return len(procs) == 0, fmt.Sprintf("plugin processes %v still run", procs)
	})
}

// runBatch runs a batch job and waits until all its count allocations
// completed; a failed one fails the test.
func (a *devAgent) runBatch(ctx context.Context, t *testing.T, name string, count int) {
	t.Helper()
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob(name, batchCIJob(name, count, 0, "true")))
	a.waitAllocs(ctx, name, fmt.Sprintf("%d complete allocations", count), func(l []*nomadlike.AllocListStub) bool {
		done := 0
		for _, s := range l {
			if s.ClientStatus == nomadlike.AllocClientStatusFailed || s.ClientStatus == nomadlike.AllocClientStatusLost {
				t.Fatalf("job %s: allocation %s is %s: %s", name, s.ID, s.ClientStatus, describeAllocs(l))
			}
			if s.ClientStatus == nomadlike.AllocClientStatusComplete {
				done++
			}
		}
		return done == count
	})
}

// TestLazyPluginIdleLifecycle: no plugin process after start, the node's
// driver info is what the plugins themselves report, a job launches the
// raw_exec plugin, the plugin exits after the idle grace, the next job
// launches it again.
func TestLazyPluginIdleLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{config: lazyGraceConfig("2s")}, "exec", "raw_exec")
	if procs := a.driverPlugins(); len(procs) != 0 {
		t.Fatalf("plugin processes of an idle agent = %v, want none", procs)
	}
	node := a.waitReady(10*time.Second, "exec", "raw_exec")
	for name, cfg := range map[string]string{"exec": `{}`, "raw_exec": `{"enabled": true}`} {
		checkDriverInfoAsPlugin(t, node.Drivers[name], name, cfg, a.dataDir)
	}

	a.runBatch(ctx, t, "lazy-first", 1)
	a.waitNoPlugins(ctx, t, "2s after the last task")
	a.runBatch(ctx, t, "lazy-again", 1)
	a.waitNoPlugins(ctx, t, "2s after the next task")
}

// checkDriverInfoAsPlugin compares the node's driver info (fingerprinted
// in the agent) with the fingerprint and config schema of the driver's
// plugin process, configured as the agent configures it.
func checkDriverInfoAsPlugin(t *testing.T, got *nomadlike.DriverInfo, name, cfg, dataDir string) {
	t.Helper()
	p, err := drivers.Launch(drivers.PluginSpec{Name: name, Command: nomadlikeBin, Args: []string{"driver", name}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	d := p.Driver()
	if err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(cfg), AgentVersion: "test", DataDir: dataDir + "/plugins/" + name}); err != nil {
		t.Fatal(err)
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.Healthy || got.HealthDescription != fp.HealthDescription || !reflect.DeepEqual(got.Attributes, fp.Attributes) {
		t.Errorf("%s: node driver info %+v, want the plugin's fingerprint %+v", name, got, fp)
		return
	}
	want, err := json.Marshal(drivers.TaskConfigSchemaOf(d))
	if err != nil {
		t.Fatal(err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got.ConfigSchema, &g); err != nil || !reflect.DeepEqual(w, g) {
		t.Errorf("%s: node config schema %s (%v), want the plugin's %s", name, got.ConfigSchema, err, want)
	}
}

// TestLazyPluginTaskSurvivesAgentKill: a raw_exec service task started on
// a lazily launched plugin keeps running across an agent SIGKILL and
// restart (the plugin is reattached, the task recovered: same process,
// no restart), the plugin outlives the idle grace while the task runs, and
// exits once the job is stopped.
func TestLazyPluginTaskSurvivesAgentKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{persistent: true, config: lazyGraceConfig("2s")}, "raw_exec")
	marker := fmt.Sprint(86400 + 1000*os.Getpid()%100000 + 7)
	a.mustCLI(ctx, "job", "run", a.writeJob("lazy-svc", fmt.Sprintf(`job "lazy-svc" {
  datacenters = ["*"]
  group "g" {
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = [%q]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, marker)))
	alloc := a.waitOneAlloc(ctx, "lazy-svc", nomadlike.AllocClientStatusRunning)
	var task int
	poll.Until(t, ctxLeft(ctx), "the task process", func() (bool, string) {
		pids := pidsWithArgs("/bin/sleep", marker)
		if len(pids) == 1 {
			task = pids[0]
		}
		return task != 0, fmt.Sprintf("processes %v", pids)
	})
	plugin := a.driverPlugins()["raw_exec"]
	if plugin == 0 {
		t.Fatal("no raw_exec plugin process while its task runs")
	}

	a.crashAndRestart("raw_exec")
	// Longer than the grace: the reattached plugin has the recovered task.
	for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); {
		if !alive(plugin) || !alive(task) {
			t.Fatalf("after the agent restart: plugin %d alive %v, task %d alive %v; want both", plugin, alive(plugin), task, alive(task))
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	allocs := a.waitAllocs(ctx, "lazy-svc", "the same running allocation", func(l []*nomadlike.AllocListStub) bool {
		return len(l) == 1 && l[0].ID == alloc.ID && l[0].ClientStatus == nomadlike.AllocClientStatusRunning
	})
	if ts := allocs[0].TaskStates["sleep"]; ts == nil || ts.Restarts != 0 || countString(taskEvents(ts), nomadlike.TaskEventStarted) != 1 {
		t.Errorf("task state after the restart: %+v, want one start and no restart", ts)
	}

	a.mustCLI(ctx, "job", "stop", "lazy-svc")
	poll.Until(t, ctxLeft(ctx), "the task and the idle plugin gone after job stop", func() (bool, string) {
		return !alive(task) && !alive(plugin), fmt.Sprintf("task %d alive %v, plugin %d alive %v", task, alive(task), plugin, alive(plugin))
	})
}

// TestLazyPluginStartsRaceIdleStop: with an idle grace of 1ms the plugin
// is stopped between almost every two tasks; jobs submitted one after the
// other all complete (a start racing the stop goes to a new plugin).
func TestLazyPluginStartsRaceIdleStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{config: lazyGraceConfig("1ms"), logLevel: "INFO"}, "raw_exec")
	for i := range 8 {
		a.runBatch(ctx, t, fmt.Sprintf("race-%d", i), 3)
	}
	log, _ := os.ReadFile(a.logPath)
	if n := strings.Count(string(log), "stopping idle driver plugin"); n < 2 {
		t.Errorf("idle stops = %d, want several: the race was not exercised", n)
	}
}
