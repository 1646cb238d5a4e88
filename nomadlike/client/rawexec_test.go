package client_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/plugins/rawexec"
)

// TestMain lets the test binary serve raw_exec as a plugin process, as the
// nomadlike binary does with "driver raw_exec".
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "driver" && os.Args[2] == rawexec.Name {
		drivers.Serve(rawexec.New(drivers.NewPluginLogger(rawexec.Name)))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestRawExecThroughPlugin runs a real task through a real raw_exec plugin
// process, restarts the agent, and checks the task was recovered (same
// process) rather than started again.
func TestRawExecThroughPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts plugin processes")
	}
	server := clienttest.NewFakeServer()
	dataDir := t.TempDir()
	cfg := client.Config{
		DataDir: dataDir, Servers: server, BuiltinDrivers: []string{rawexec.Name}, DriverBinary: os.Args[0],
		Plugins:          map[string]json.RawMessage{rawexec.Name: json.RawMessage(`{"enabled": true, "no_cgroups": true}`)},
		MinRetryInterval: 10 * time.Millisecond, MaxRetryInterval: 50 * time.Millisecond,
		FingerprintInterval: time.Hour, BlockingQueryWait: 5 * time.Second,
	}
	// Whatever happens, leave no plugin or task process behind.
	t.Cleanup(func() {
		db, err := localstate.OpenBolt(filepath.Join(dataDir, "client", "state.db"))
		if err != nil {
			return
		}
		defer db.Close()
		if allocs, err := db.Allocs(); err == nil {
			for _, a := range allocs {
				for _, tr := range a.Tasks {
					if tr.Handle != nil {
						var st struct{ Pid int }
						json.Unmarshal(tr.Handle.DriverState, &st)
						if st.Pid > 0 {
							syscall.Kill(st.Pid, syscall.SIGKILL)
						}
					}
				}
			}
		}
		if plugins, err := db.DriverPlugins(); err == nil {
			for _, raw := range plugins {
				var rc drivers.ReattachConfig
				if json.Unmarshal(raw, &rc) == nil && rc.Pid > 0 {
					syscall.Kill(rc.Pid, syscall.SIGKILL)
				}
			}
		}
	})

	c1, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Start(); err != nil {
		t.Fatal(err)
	}
	nodeID := c1.NodeID()
	poll.Until(t, 20*time.Second, "raw_exec to be healthy", func() (bool, string) {
		n := server.Node(nodeID)
		return n != nil && n.Attributes["driver.raw_exec"] == "1", "raw_exec not healthy on the node"
	})

	job := fixture.Job()
	job.TaskGroups[0].Networks = nil
	tk := job.TaskGroups[0].Tasks[0]
	tk.Driver = rawexec.Name
	tk.KillTimeout = 2 * time.Second
	tk.Config = map[string]any{"command": "/bin/sh", "args": []any{"-c", `echo $$ >> "$NOMAD_TASK_DIR/pids"; echo "hello from ${NOMAD_ALLOC_ID}"; exec sleep 300`}}
	a := fixture.Alloc(job, &nomadlike.Node{ID: nodeID}, 0)
	a.AllocatedResources.Shared.Ports = nil
	server.UpsertAlloc(a)
	poll.Until(t, 20*time.Second, "the alloc to run", func() (bool, string) {
		got := server.Alloc(a.ID)
		return got.ClientStatus == nomadlike.AllocClientStatusRunning, "alloc status " + got.ClientStatus
	})
	pidsFile := filepath.Join(dataDir, "alloc", a.ID, "app", "local", "pids")
	var pid int
	poll.Until(t, 10*time.Second, "the task's pid file", func() (bool, string) {
		b, _ := os.ReadFile(pidsFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0, "no pid written"
	})
	logFile := filepath.Join(dataDir, "alloc", a.ID, "alloc", "logs", "app.stdout.0")
	poll.Until(t, 10*time.Second, "the task's log", func() (bool, string) {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "hello from "+a.ID), "log: " + string(b)
	})

	// The agent stops; the task and the plugin keep running.
	c1.Shutdown()
	if !alive(pid) {
		t.Fatalf("task %d died with the agent", pid)
	}

	c2, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(); err != nil {
		t.Fatal(err)
	}
	defer c2.Shutdown()
	// Stop the allocation: the recovered task is killed through the plugin.
	server.StopAlloc(a.ID)
	poll.Until(t, 20*time.Second, "the alloc to complete", func() (bool, string) {
		got := server.Alloc(a.ID)
		return got.ClientStatus == nomadlike.AllocClientStatusComplete, "alloc status " + got.ClientStatus
	})
	b, _ := os.ReadFile(pidsFile)
	if lines := strings.Fields(string(b)); len(lines) != 1 {
		t.Errorf("task started %d times across the agent restart (pids %v), want once", len(lines), lines)
	}
	poll.Until(t, 10*time.Second, "the task process to exit", func() (bool, string) {
		return !alive(pid), "task process still alive after stop"
	})
}
