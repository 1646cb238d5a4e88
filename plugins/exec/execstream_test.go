package exec

import (
	"bytes"
	"context"
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// TestExecStreamJoinsTheTask runs a command with ExecTaskStreaming in a
// task running as nobody and checks against the task's process, seen from
// the host, that the command runs as nobody, in the task's cgroup and its
// mount, PID, UTS and IPC namespaces, inside its root, with no_new_privs
// and no capabilities; and that its exit code comes back.
func TestExecStreamJoinsTheTask(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cfg := newTaskConfig(t, "execjoin", "", busybox, "sleep", "1000")
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	tk, err := d.lookupTask(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	taskProc := "/proc/" + strconv.Itoa(tk.state.Pid)
	script := `echo "uid=$(id -u)"; echo "pid=$$"; grep -E '^(NoNewPrivs|CapEff):' /proc/self/status;` +
		` for ns in mnt pid uts ipc; do echo "$ns=$(readlink /proc/self/ns/$ns)"; done;` +
		` echo "cgroup=$(cat /proc/self/cgroup | tr '\n' ' ')"; ls -d /local /secrets; exit 9`
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.ExecTaskStreaming(ctx, cfg.ID, &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", script},
		Stdout:  &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("ExecTaskStreaming: %v", err)
	}
	out := stdout.String()
	if res.ExitCode != 9 {
		t.Fatalf("exit code = %d, want 9; stdout %q stderr %q", res.ExitCode, out, stderr.String())
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	hostCgroup, err := os.ReadFile(taskProc + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"uid=" + nobody.Uid + "\n",
		"NoNewPrivs:\t1\n",
		"CapEff:\t0000000000000000\n",
		"cgroup=" + strings.ReplaceAll(string(hostCgroup), "\n", " ") + "\n",
		"/local\n/secrets\n",
	}
	for _, ns := range []string{"mnt", "pid", "uts", "ipc"} {
		link, err := os.Readlink(taskProc + "/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		own, _ := os.Readlink("/proc/self/ns/" + ns)
		if link == own {
			t.Fatalf("the task shares the test's %s namespace; the test proves nothing", ns)
		}
		want = append(want, ns+"="+link+"\n")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("exec output lacks %q:\n%s", w, out)
		}
	}
	// PID 1 of the namespace is the task: the command's pid there is small.
	if i := strings.Index(out, "pid="); i < 0 || strings.HasPrefix(out[i:], "pid=1\n") {
		t.Errorf("exec output has no pid, or the command is PID 1:\n%s", out)
	}
}

// TestExecStreamRefusesExitedTask: exec in a task that has exited is an
// error, not a command run on the host.
func TestExecStreamRefusesExitedTask(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cfg := newTaskConfig(t, "execgone", "", busybox, "true")
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	waitTask(t, d, cfg.ID)
	var out bytes.Buffer
	_, err := d.ExecTaskStreaming(context.Background(), cfg.ID, &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", "echo ran"}, Stdout: &out, Stderr: &out,
	})
	if err == nil || strings.Contains(out.String(), "ran") {
		t.Fatalf("ExecTaskStreaming in an exited task = %v, output %q; want an error and nothing run", err, out.String())
	}
}
