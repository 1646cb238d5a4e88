package drivertest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// Harness says how to run a driver under the suite.
type Harness struct {
	// Plugin launches the driver as a plugin process.
	Plugin drivers.PluginSpec
	// PluginConfig is a plugin block config (JSON) under which the driver is
	// healthy and runs tasks.
	PluginConfig json.RawMessage
	// Task returns a valid task config (JSON) for the lifecycle and recovery
	// cases, which every driver runs: a task that writes spec.Line and a
	// newline to its stdout log, then runs for spec.Duration (or until it
	// is stopped), then exits with code 0, or with FailCode when spec.Fail.
	// Leave it nil when ShellTask is set: the suite builds it from a script.
	Task func(spec Task) json.RawMessage
	// FailCode is the exit code a Task with Fail set reports (default 1).
	FailCode int
	// ShellTask returns a valid task config (JSON) that runs script with
	// /bin/sh -c in the task's directory, with the task's environment. A
	// driver that runs no shell leaves it nil: the cases that need one
	// (groups process, signals, exec, stats, logs, and recovery's
	// recover_running) are then skipped, saying so.
	ShellTask func(script string) json.RawMessage
	// BadConfig is an invalid task config; the error must name BadField
	// (for example "config.comand").
	BadConfig json.RawMessage
	BadField  string
	// Skip names cases (as "group/case") or whole groups ("exec") this
	// driver cannot pass, with the reason, e.g. {"signals/stop_graceful":
	// "..."}. Skips are reported, not hidden; a key that names no case or
	// group fails the run (website/writing-a-driver.md lists them).
	Skip map[string]string
	// Timeout bounds each wait of a case (a task's exit, a line in a log);
	// default 10s. A task that has exited fails a log wait at once.
	Timeout time.Duration
}

// Task is a task every driver can run: see Harness.Task.
type Task struct {
	// Line is written to the task's stdout log, with a newline.
	Line string
	// Duration is how long the task runs before it exits by itself.
	Duration time.Duration
	// Fail makes the task exit with Harness.FailCode instead of 0.
	Fail bool
}

// shellTaskFor is the Task a shell-running driver runs.
func shellTaskFor(shell func(string) json.RawMessage, failCode int) func(Task) json.RawMessage {
	return func(spec Task) json.RawMessage {
		code := 0
		if spec.Fail {
			code = failCode
		}
		// sleep in the background and wait: the shell runs its traps (none:
		// default dispositions) and a stop signal ends the shell itself.
		script := fmt.Sprintf("echo %s; sleep %.3f & wait $!; exit %d",
			shellQuote(spec.Line), spec.Duration.Seconds(), code)
		return shell(script)
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// serveEnv tells a test binary started by SelfPlugin to serve its driver.
const serveEnv = "NOMADLIKE_DRIVERTEST_SERVE"

// SelfPlugin is a PluginSpec that runs the current test binary as the
// driver plugin; the test's TestMain must call ServeIfPlugin first.
func SelfPlugin(name string) drivers.PluginSpec {
	return drivers.PluginSpec{
		Name:    name,
		Command: os.Args[0],
		Args:    []string{"-test.run=^$"},
		Env:     []string{serveEnv + "=" + name},
	}
}

// ServeIfPlugin serves the driver built by newDriver and exits when this
// process was started by SelfPlugin; otherwise it returns at once. Call it
// first thing in TestMain.
func ServeIfPlugin(newDriver func(hclog.Logger) drivers.Driver) {
	name := os.Getenv(serveEnv)
	if name == "" {
		return
	}
	drivers.Serve(newDriver(drivers.NewPluginLogger(name)))
	os.Exit(0)
}
