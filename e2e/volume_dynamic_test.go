package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Dynamic host volumes (issue #17) on a real dev agent: `volume create`
// with the built-in mkdir plugin, a job claiming the volume by name, data
// kept across a replacement, and delete refused while a task uses it.

const dynamicVolumeSpec = `type      = "host"
name      = "scratch"
plugin_id = "mkdir"
capacity_min = "1MiB"
capacity_max = "10MiB"

constraint {
  attribute = "${attr.kernel.name}"
  value     = "linux"
}

parameters {
  mode = "0777"
}
`

// dynamicVolumeJob is a service exec job whose task runs script with the
// volume "scratch" at /srv/data.
func dynamicVolumeJob(script string) string {
	return fmt.Sprintf(`job "dynvol" {
  datacenters = ["*"]
  group "g" {
    volume "data" {
      type   = "host"
      source = "scratch"
    }
    task "t" {
      driver = "exec"
      volume_mount {
        volume      = "data"
        destination = "/srv/data"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, script)
}

var createdVolumeID = regexp.MustCompile(`Created host volume scratch with ID ([0-9a-f-]{36})`)

// waitFile waits until path holds want (a prefix of its content).
func waitVolumeFile(ctx context.Context, t *testing.T, path, want string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), fmt.Sprintf("%s to hold %q", path, want), func() (bool, string) {
		b, err := os.ReadFile(path)
		return err == nil && strings.HasPrefix(string(b), want), fmt.Sprintf("%q (%v)", b, err)
	})
}

// TestVolumeDynamicLifecycle: volume create makes the directory with its
// mode on the node and reports it ready; an exec task (as nobody) claiming
// it by name writes there; the job's replacement on the same node reads
// that data; delete is refused, naming the allocation, while the task
// runs, and works after the job stops, removing the directory.
func TestVolumeDynamicLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	hvDir := filepath.Join(t.TempDir(), "volumes")
	a := startDevAgent(t, devAgentOptions{config: fmt.Sprintf("client {\n  host_volumes_dir = %q\n}\n", hvDir)}, "exec")
	spec := a.writeJob("volume.hcl", dynamicVolumeSpec)

	out := a.mustCLI(ctx, "volume", "create", spec)
	t.Logf("volume create:\n%s", out)
	m := createdVolumeID.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "ready") {
		t.Fatalf("volume create did not report a ready volume:\n%s", out)
	}
	id := m[1]
	volDir := filepath.Join(hvDir, id)
	fi, err := os.Lstat(volDir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o777 {
		t.Fatalf("volume directory %s: %v, %v; want a 0777 directory", volDir, fi, err)
	}
	if st := a.mustCLI(ctx, "volume", "status"); !strings.Contains(st, "scratch") || !strings.Contains(st, "ready") {
		t.Errorf("volume status does not list the ready volume:\n%s", st)
	}

	a.mustCLI(ctx, "job", "run", a.writeJob("v1", dynamicVolumeJob("echo generation-1 > /srv/data/state; exec sleep 600")))
	waitVolumeFile(ctx, t, filepath.Join(volDir, "state"), "generation-1\n")
	first := a.waitOneAlloc(ctx, "dynvol", nomadlike.AllocClientStatusRunning)

	a.mustCLI(ctx, "job", "run", a.writeJob("v2", dynamicVolumeJob("cat /srv/data/state > /srv/data/seen; exec sleep 600")))
	waitVolumeFile(ctx, t, filepath.Join(volDir, "seen"), "generation-1\n")
	second := a.waitAllocs(ctx, "dynvol", "a running replacement", func(l []*nomadlike.AllocListStub) bool {
		for _, x := range l {
			if x.ID != first.ID && x.ClientStatus == nomadlike.AllocClientStatusRunning {
				return true
			}
		}
		return false
	})
	var running *nomadlike.AllocListStub
	for _, x := range second {
		if x.ID != first.ID && x.ClientStatus == nomadlike.AllocClientStatusRunning {
			running = x
		}
	}
	if running.NodeID != first.NodeID {
		t.Errorf("replacement on node %s, want %s", running.NodeID, first.NodeID)
	}

	code, refused := a.cli(ctx, "volume", "delete", "-type", "host", id)
	if code == 0 || !strings.Contains(refused, running.ID) {
		t.Fatalf("volume delete while %s runs = exit %d:\n%s\nwant a refusal naming it", running.ID, code, refused)
	}
	t.Logf("volume delete refused:\n%s", refused)
	if _, err := os.Stat(filepath.Join(volDir, "state")); err != nil {
		t.Fatalf("the refused delete touched the volume: %v", err)
	}

	a.mustCLI(ctx, "job", "stop", "dynvol")
	a.waitAllocs(ctx, "dynvol", "every allocation stopped", func(l []*nomadlike.AllocListStub) bool {
		for _, x := range l {
			switch x.ClientStatus {
			case nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost:
			default:
				return false
			}
		}
		return true
	})
	a.mustCLI(ctx, "volume", "delete", "-type", "host", id)
	if _, err := os.Lstat(volDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("volume directory after delete: %v, want gone", err)
	}
	if code, st := a.cli(ctx, "volume", "status", id); code == 0 || !strings.Contains(st, "not found") {
		t.Errorf("volume status after delete = %d:\n%s", code, st)
	}
	node, _, err := a.api().Nodes().Info(ctx, first.NodeID, nil)
	if err != nil || node.HostVolumes["scratch"] != nil {
		t.Errorf("node host volumes after delete = %v (%v), want no scratch", node.HostVolumes, err)
	}
}

// TestVolumeDynamicCapacityAndPlacement: a volume whose capacity_min the
// node's file system cannot hold is not made: volume create fails saying
// why, no directory appears, and volume delete gives it up; a volume
// whose constraint no node meets is refused and not recorded.
func TestVolumeDynamicCapacityAndPlacement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	hvDir := filepath.Join(t.TempDir(), "volumes")
	a := startDevAgent(t, devAgentOptions{config: fmt.Sprintf("client {\n  host_volumes_dir = %q\n}\n", hvDir)}, "exec")

	huge := strings.Replace(dynamicVolumeSpec, `capacity_min = "1MiB"`, `capacity_min = "900PiB"`, 1)
	huge = strings.Replace(huge, `capacity_max = "10MiB"`, ``, 1)
	code, out := a.cli(ctx, "volume", "create", a.writeJob("huge.hcl", huge))
	t.Logf("volume create (900PiB):\n%s", out)
	m := createdVolumeID.FindStringSubmatch(out)
	if code == 0 || m == nil || !strings.Contains(out, "not enough free space") {
		t.Fatalf("volume create = exit %d:\n%s\nwant a failure saying there is not enough space", code, out)
	}
	if entries, _ := os.ReadDir(hvDir); len(entries) != 0 {
		t.Errorf("host_volumes_dir has %v, want nothing", entries)
	}
	if st := a.mustCLI(ctx, "volume", "status", m[1]); !strings.Contains(st, "pending") || !strings.Contains(st, "not enough free space") {
		t.Errorf("volume status does not say why it is pending:\n%s", st)
	}
	a.mustCLI(ctx, "volume", "delete", m[1])
	if code, st := a.cli(ctx, "volume", "status", m[1]); code == 0 || !strings.Contains(st, "not found") {
		t.Errorf("volume status after delete = %d:\n%s", code, st)
	}

	nowhere := strings.Replace(dynamicVolumeSpec, `value     = "linux"`, `value     = "plan9"`, 1)
	code, out = a.cli(ctx, "volume", "create", a.writeJob("nowhere.hcl", nowhere))
	if code == 0 || !strings.Contains(out, "no node can take it") || !strings.Contains(out, "constraint ${attr.kernel.name} = plan9: 1") {
		t.Fatalf("volume create (plan9) = exit %d:\n%s", code, out)
	}
	if st := a.mustCLI(ctx, "volume", "status"); !strings.Contains(st, "No dynamic host volumes") {
		t.Errorf("volume status after the refusals:\n%s", st)
	}
}

// TestVolumeDynamicSurvivesRestart: after the agent (server and client,
// state on disk) is killed and started again, the volume is still ready
// in the servers' state (raft log and snapshot) and on its node, and a
// new job mounts it and reads what was there.
func TestVolumeDynamicSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{persistent: true}, "exec")
	out := a.mustCLI(ctx, "volume", "create", a.writeJob("volume.hcl", dynamicVolumeSpec))
	m := createdVolumeID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("volume create:\n%s", out)
	}
	v, _, err := a.api().HostVolume(ctx, m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.HostPath, "before"), []byte("kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	a.crashAndRestart("exec")

	after, _, err := a.api().HostVolume(ctx, v.ID, nil)
	if err != nil || after.State != nomadlike.HostVolumeStateReady || after.HostPath != v.HostPath {
		t.Fatalf("volume after restart = %+v, %v", after, err)
	}
	a.mustCLI(ctx, "job", "run", a.writeJob("reader", dynamicVolumeJob("cat /srv/data/before > /srv/data/seen; exec sleep 600")))
	waitVolumeFile(ctx, t, filepath.Join(v.HostPath, "seen"), "kept\n")
	a.mustCLI(ctx, "job", "stop", "dynvol")
}
