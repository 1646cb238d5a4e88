package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

const testTimeout = 30 * time.Second

func startSh(t *testing.T, script string) *Process {
	t.Helper()
	p, err := Start(exec.Command("/bin/sh", "-c", script))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	return p
}

func waitResult(t *testing.T, p *Process) (code, sig int, errStr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return res.ExitCode, res.Signal, res.Err
}

// waitFile polls until path exists.
func waitFile(t *testing.T, path string) {
	t.Helper()
	poll.UntilTrue(t, testTimeout, path+" to appear", func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

func TestStartWait(t *testing.T) {
	cases := []struct {
		name     string
		script   string
		wantCode int
		wantSig  int
	}{
		{"exit 0", "true", 0, 0},
		{"exit 3", "exit 3", 3, 0},
		{"killed by a signal", "kill -TERM $$", 128 + 15, 15},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startSh(t, tc.script)
			if p.StartTime() == 0 {
				t.Error("StartTime() = 0")
			}
			code, sig, errStr := waitResult(t, p)
			if code != tc.wantCode || sig != tc.wantSig || errStr != "" {
				t.Errorf("exit = (%d, %d, %q), want (%d, %d, \"\")", code, sig, errStr, tc.wantCode, tc.wantSig)
			}
			if p.Result() == nil || p.ExitedAt().IsZero() {
				t.Error("Result/ExitedAt not set after exit")
			}
		})
	}
}

func TestWaitHonoursContext(t *testing.T) {
	p := startSh(t, "exec sleep 1000")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait(cancelled) = %v, want context.Canceled", err)
	}
	if p.Result() != nil {
		t.Error("Result() != nil for a running process")
	}
}

func TestStop(t *testing.T) {
	cases := []struct {
		name    string
		script  string // touches $READY once set up
		sig     syscall.Signal
		wantSig int
	}{
		{"graceful", "touch $READY; exec sleep 1000", syscall.SIGINT, int(syscall.SIGINT)},
		{"ignores the signal, killed after timeout", "trap '' INT; touch $READY; while :; do sleep 0.05; done", syscall.SIGINT, int(syscall.SIGKILL)},
		{"handles the signal and exits", "trap 'exit 0' TERM; touch $READY; while :; do sleep 0.05; done", syscall.SIGTERM, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			cmd.Env = append(os.Environ(), "READY="+ready)
			p, err := Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Kill() })
			waitFile(t, ready)
			if err := p.Stop(tc.sig, 300*time.Millisecond); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if got := p.Result(); got == nil || got.Signal != tc.wantSig {
				t.Fatalf("Result() = %+v, want signal %d", got, tc.wantSig)
			}
		})
	}
}

func TestStopKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "bg.pid")
	p := startSh(t, "sleep 1000 & echo $! > "+pidFile+".tmp; mv "+pidFile+".tmp "+pidFile+"; exec sleep 1000")
	waitFile(t, pidFile)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(syscall.SIGTERM, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	waitGone(t, bg)
}

// waitGone polls until pid is gone or a zombie.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	poll.UntilTrue(t, testTimeout, fmt.Sprintf("process %d to go", pid), func() bool {
		st, err := readStat(pid)
		return err != nil || st.state == 'Z'
	})
}

func TestSignal(t *testing.T) {
	dir := t.TempDir()
	ready, got := filepath.Join(dir, "ready"), filepath.Join(dir, "got")
	p := startSh(t, "trap 'touch "+got+"; exit 0' USR1; touch "+ready+"; while :; do sleep 0.05; done")
	waitFile(t, ready)
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitFile(t, got)
	waitResult(t, p)
	if err := p.Signal(syscall.SIGUSR1); err == nil {
		t.Error("Signal after exit succeeded")
	}
}

func TestRecover(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	st, err := readStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := Recover(cmd.Process.Pid, st.startTime+1); !errors.Is(err, ErrProcessGone) {
		t.Fatalf("Recover(wrong start time) = %v, want ErrProcessGone", err)
	}
	p, err := Recover(cmd.Process.Pid, st.startTime)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	u, err := p.Stats()
	if err != nil || u.Pids != 1 {
		t.Fatalf("Stats() = %+v, %v; want 1 pid", u, err)
	}
	if err := p.Stop(syscall.SIGTERM, 5*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The test is sleep's parent and has not reaped it: the zombie keeps
	// the real status (as the agent, a child subreaper, keeps a dead
	// plugin's tasks), so the recovered process reports it.
	code, sig, errStr := waitResult(t, p)
	if code != 128+int(syscall.SIGTERM) || sig != int(syscall.SIGTERM) || errStr != "" {
		t.Fatalf("recovered exit = (%d, %d, %q), want (143, 15, \"\")", code, sig, errStr)
	}
	// Recovered after it exited, still a zombie: exited, with its status.
	p, err = Recover(cmd.Process.Pid, st.startTime)
	if err != nil {
		t.Fatalf("Recover(zombie): %v", err)
	}
	if code, _, _ := waitResult(t, p); code != 143 {
		t.Fatalf("Recover(zombie) exit = %d, want 143", code)
	}
	_ = cmd.Wait()
	// Reaped: the status is gone, and so is the process.
	if _, err := Recover(cmd.Process.Pid, st.startTime); !errors.Is(err, ErrProcessGone) {
		t.Fatalf("Recover(exited) = %v, want ErrProcessGone", err)
	}
}

func TestStats(t *testing.T) {
	p := startSh(t, "sleep 1000 & sleep 1000 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; wait")
	poll.Until(t, testTimeout, "3 pids and some memory", func() (bool, string) {
		u, err := p.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return u.Pids == 3 && u.MemoryRSS > 0 && !u.Timestamp.IsZero() && u.CPUPercent >= 0, fmt.Sprintf("Stats() = %+v", u)
	})
}

func TestParseStat(t *testing.T) {
	line := "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5555 1000000 42 18446744073709551615"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'S' || st.pgrp != 1234 || st.utime != 7 || st.stime != 3 || st.startTime != 5555 || st.rssPages != 42 {
		t.Fatalf("parseStat = %+v", st)
	}
	if _, err := parseStat([]byte("1 (x) S 1")); err == nil {
		t.Error("parseStat(short) succeeded")
	}
}

func TestParseSignal(t *testing.T) {
	cases := []struct {
		in      string
		want    syscall.Signal
		wantErr bool
	}{
		{"", syscall.SIGINT, false},
		{"SIGTERM", syscall.SIGTERM, false},
		{"term", syscall.SIGTERM, false},
		{"SIGUSR1", syscall.SIGUSR1, false},
		{"9", syscall.SIGKILL, false},
		{"SIGNOPE", 0, true},
		{"0", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSignal(tc.in, syscall.SIGINT)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseSignal(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
