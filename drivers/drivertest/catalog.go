package drivertest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// testCase is one conformance case.
type testCase struct {
	name string
	// shell: the case runs scripts (Harness.ShellTask); a driver without a
	// shell skips it.
	shell bool
	doc   string
	run   func(t *testing.T, s *suite)
}

// group is the cases of one capability.
type group struct {
	name, doc string
	cases     []testCase
}

// catalog is every case, by capability. website/writing-a-driver.md lists
// it (TestCatalogDocumented keeps the two equal).
func catalog() []group {
	return []group{
		{"lifecycle", "what every driver does, with Harness.Task", []testCase{
			{"fingerprint", false, "Fingerprint is healthy under PluginConfig; Info().Name is the plugin's name", testFingerprint},
			{"exit_zero", false, "a task writes its line to its stdout log and exits 0", testTaskExitZero},
			{"exit_failure", false, "a failing task's WaitTask reports FailCode", testTaskExitFailure},
			{"inspect", false, "InspectTask: running with StartedAt, then exited with the exit result and CompletedAt", testTaskInspect},
			{"wait_cancel", false, "WaitTask returns the context's error when it is cancelled; the task runs on", testWaitCancel},
			{"stop", false, "StopTask ends a running task; WaitTask reports the signal that ended it", testTaskStop},
			{"destroy", false, "DestroyTask refuses a running task without force, stops it with force (no process left behind), then forgets it", testTaskDestroy},
			{"bad_config", false, "ValidateTaskConfig and StartTask refuse BadConfig naming BadField", testBadConfig},
			{"task_not_found", false, "every call on an unknown task ID returns ErrTaskNotFound (or ErrNotSupported)", testTaskNotFound},
		}},
		{"recovery", "a new plugin process takes over tasks from their handles", []testCase{
			{"recover_exit_code", false, "the plugin is killed (SIGKILL) while a task runs; a new plugin recovers it from its handle and WaitTask reports the task's real exit code", testRecoverExitCode},
			{"recover_running", true, "after the same kill, the recovered task is the same process, its output still reaches its log, and it stops", testRecover},
		}},
		{"process", "tasks that are host processes running a shell", []testCase{
			{"stdout_stderr", true, "a script's stdout and stderr reach their own logs and it exits 0", testExitZeroAndLogs},
			{"exit_nonzero", true, "exit 7 is reported as exit code 7 and no signal", testExitNonZero},
			{"env", true, "the task sees TaskConfig.Env", testEnv},
			{"default_signals", true, "a task does not inherit ignored SIGPIPE or SIGHUP from the plugin", testDefaultSignals},
		}},
		{"signals", "stop signals, kill timeouts and SignalTask", []testCase{
			{"stop_graceful", true, "StopTask with SIGTERM: WaitTask reports signal 15", testStopGraceful},
			{"stop_kill_timeout", true, "a task ignoring the stop signal is killed (SIGKILL) after the timeout", testStopKillTimeout},
			{"kill_signal", true, "StopTask without a signal sends the task's kill_signal", testKillSignal},
			{"signal", true, "SignalTask delivers SIGUSR1, refuses an unknown signal; or ErrNotSupported without SendSignals", testSignal},
		}},
		{"exec", "running commands inside a task", []testCase{
			{"exec_task", true, "ExecTask returns a command's exit code, stdout and stderr with the task's env; or ErrNotSupported without Exec", testExec},
			{"exec_stream_pipes", true, "ExecTaskStreaming with stdin, stdout and stderr pipes", testExecStreamPipes},
			{"exec_stream_tty", true, "ExecTaskStreaming with a TTY and a resize", testExecStreamTTY},
			{"exec_stream_task_stop", true, "a streaming exec ends when its task is stopped", testExecStreamTaskStop},
			{"exec_stream_cancel", true, "a streaming exec ends when its context is cancelled", testExecStreamCancel},
		}},
		{"stats", "resource usage", []testCase{
			{"task_stats", true, "TaskStats of a running task: at least one pid, some memory, a timestamp", testStats},
		}},
		{"logs", "log files", []testCase{
			{"log_rotation", true, "3 MiB of output rotate into at most MaxFiles files of MaxFileSizeMB", testLogRotation},
		}},
	}
}

// CaseInfo describes one conformance case, for documentation.
type CaseInfo struct {
	// Key is "group/case", the Harness.Skip key (and the subtest path).
	Key string
	// NeedsShell: the case is skipped when Harness.ShellTask is nil.
	NeedsShell bool
	Doc        string
}

// Cases lists every case of the suite, in the order Run runs them.
func Cases() []CaseInfo {
	var out []CaseInfo
	for _, g := range catalog() {
		for _, c := range g.cases {
			out = append(out, CaseInfo{Key: g.name + "/" + c.name, NeedsShell: c.shell, Doc: c.doc})
		}
	}
	return out
}

// checkSkips refuses a Skip key that names no group and no case.
func checkSkips(skip map[string]string) error {
	known := map[string]bool{}
	for _, g := range catalog() {
		known[g.name] = true
		for _, c := range g.cases {
			known[g.name+"/"+c.name] = true
		}
	}
	var bad []string
	for k := range skip {
		if !known[k] {
			bad = append(bad, fmt.Sprintf("%q", k))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	var keys []string
	for k := range known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Errorf("drivertest.Harness.Skip: %s name no case or group; known: %s",
		strings.Join(bad, ", "), strings.Join(keys, " "))
}
