package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Host volumes (issue #17) on a real dev agent: the client's host_volume
// block, the scheduler's check and the exec driver's bind mount.

// volumeHostDir is a host directory the exec task's user (nobody) may
// write, with traversable parents.
func volumeHostDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// volumeJob is a batch exec job whose group claims host volume source and
// whose task runs script with the volume at /srv/data.
func volumeJob(id, source string, mountRO bool, script string) string {
	return fmt.Sprintf(`job %q {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    volume "data" {
      type   = "host"
      source = %q
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "exec"
      volume_mount {
        volume      = "data"
        destination = "/srv/data"
        read_only   = %t
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
`, id, source, mountRO, script)
}

func startVolumeAgent(t *testing.T, vol string) *devAgent {
	t.Helper()
	return startDevAgent(t, devAgentOptions{config: fmt.Sprintf(`client {
  host_volume "data" {
    path = %q
  }
}
`, vol)}, "exec")
}

// TestVolumeHostWriteAndReplacement: an exec task (as nobody) writes into
// its host volume and the file is on the host path; the job's next version
// replaces the allocation on the same node and reads what the first wrote.
func TestVolumeHostWriteAndReplacement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	vol := volumeHostDir(t)
	a := startVolumeAgent(t, vol)

	a.mustCLI(ctx, "job", "run", a.writeJob("v1", volumeJob("vol", "data", false, "echo generation-1 > /srv/data/state")))
	first := a.waitOneAlloc(ctx, "vol", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if first.ClientStatus != nomadlike.AllocClientStatusComplete {
		_, st := a.cli(ctx, "alloc", "status", first.ID)
		t.Fatalf("first alloc %s, want complete:\n%s", first.ClientStatus, st)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "state")); err != nil || string(b) != "generation-1\n" {
		t.Fatalf("host file = %q, %v; want the task's write", b, err)
	}

	a.mustCLI(ctx, "job", "run", a.writeJob("v2", volumeJob("vol", "data", false, "cat /srv/data/state > /srv/data/seen; echo generation-2 >> /srv/data/state")))
	allocs := a.waitAllocs(ctx, "vol", "a second, finished allocation", func(l []*nomadlike.AllocListStub) bool {
		for _, x := range l {
			if x.ID != first.ID && (x.ClientStatus == nomadlike.AllocClientStatusComplete || x.ClientStatus == nomadlike.AllocClientStatusFailed) {
				return true
			}
		}
		return false
	})
	for _, x := range allocs {
		if x.ID != first.ID && x.NodeID != first.NodeID {
			t.Errorf("replacement on node %s, want %s", x.NodeID, first.NodeID)
		}
	}
	if b, err := os.ReadFile(filepath.Join(vol, "seen")); err != nil || string(b) != "generation-1\n" {
		t.Fatalf("the replacement saw %q (%v), want the first allocation's data", b, err)
	}
}

// TestVolumeMissingNotPlaced: a job whose volume no node has is not placed;
// job status and job plan say why.
func TestVolumeMissingNotPlaced(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	vol := volumeHostDir(t)
	a := startVolumeAgent(t, vol)
	job := a.writeJob("missing", volumeJob("novol", "nope", false, "true"))

	// The node has its configured volume, and says so.
	nodes, _, err := a.api().Nodes().List(ctx, nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes = %v, %v", nodes, err)
	}
	if st := a.mustCLI(ctx, "node", "status", "-verbose", nodes[0].ID); !strings.Contains(st, "Host Volumes = data") || !strings.Contains(st, vol) {
		t.Errorf("node status does not show the host volume %s:\n%s", vol, st)
	}

	_, plan := a.cli(ctx, "job", "plan", job)
	t.Logf("job plan:\n%s", plan)
	if !strings.Contains(plan, "missing compatible host volumes") {
		t.Errorf("job plan does not say why:\n%s", plan)
	}
	a.mustCLI(ctx, "job", "run", "-detach", job)
	var status string
	poll.Until(t, 30*time.Second, "job status to name the missing volume", func() (bool, string) {
		_, status = a.cli(ctx, "job", "status", "novol")
		return strings.Contains(status, "missing compatible host volumes"), "\n" + status
	})
	t.Logf("job status:\n%s", status)
	if allocs, _, err := a.api().Jobs().Allocations(ctx, "novol", true, nil); err != nil || len(allocs) != 0 {
		t.Fatalf("allocations = %s (%v), want none", describeAllocs(allocs), err)
	}
}

// TestVolumeReadOnlyExec: a read_only volume_mount refuses the exec task's
// write (the directory's permissions would allow it) and nothing reaches
// the host.
func TestVolumeReadOnlyExec(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	vol := volumeHostDir(t)
	if err := os.WriteFile(filepath.Join(vol, "seed"), []byte("seed-from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startVolumeAgent(t, vol)

	// The read shows the volume is mounted; the write must fail.
	a.mustCLI(ctx, "job", "run", a.writeJob("ro", volumeJob("rovol", "data", true, "cat /srv/data/seed && echo x > /srv/data/attack")))
	alloc := a.waitOneAlloc(ctx, "rovol", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusFailed {
		t.Errorf("alloc %s, want failed (the write must fail)", alloc.ClientStatus)
	}
	if _, err := os.Stat(filepath.Join(vol, "attack")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the read-only volume got the task's file: %v", err)
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); !strings.Contains(logs, "seed-from-host") {
		t.Errorf("stdout = %q, want the host's file read through the mount", logs)
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", "-stderr", alloc.ID); !strings.Contains(logs, "Read-only file system") {
		t.Errorf("stderr = %q, want a read-only file system error", logs)
	}
}

// TestVolumeAddedLaterUnblocks: a job blocked on a missing host volume is
// placed once the client restarts with the volume in its configuration (its
// node class changed, which wakes the blocked evaluation).
func TestVolumeAddedLaterUnblocks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	vol := volumeHostDir(t)
	a := startDevAgent(t, devAgentOptions{persistent: true}, "exec")
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("later", volumeJob("later", "data", false, "echo placed > /srv/data/later")))
	poll.Until(t, 30*time.Second, "the job to block on the missing volume", func() (bool, string) {
		_, status := a.cli(ctx, "job", "status", "later")
		return strings.Contains(status, "missing compatible host volumes"), "\n" + status
	})

	cfg := filepath.Join(a.dir, "agent.hcl")
	old, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	add := fmt.Sprintf("client {\n  host_volume \"data\" {\n    path = %q\n  }\n}\n", vol)
	if err := os.WriteFile(cfg, append(old, add...), 0o644); err != nil {
		t.Fatal(err)
	}
	a.crashAndRestart("exec")
	alloc := a.waitOneAlloc(ctx, "later", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc %s, want complete", alloc.ClientStatus)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "later")); err != nil || string(b) != "placed\n" {
		t.Fatalf("host file = %q, %v", b, err)
	}
}

// TestVolumeRawExecEnv: raw_exec mounts nothing (no mount namespace) and
// names the volume's host path in NOMAD_HOST_VOLUME_<volume>.
func TestVolumeRawExecEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	vol := volumeHostDir(t)
	a := startDevAgent(t, devAgentOptions{config: fmt.Sprintf("client {\n  host_volume \"data\" {\n    path = %q\n  }\n}\n", vol)}, "raw_exec")
	src := strings.Replace(volumeJob("rawvol", "data", false, `echo via-env > "$NOMAD_HOST_VOLUME_data/raw"`), `driver = "exec"`, `driver = "raw_exec"`, 1)
	a.mustCLI(ctx, "job", "run", a.writeJob("raw", src))
	alloc := a.waitOneAlloc(ctx, "rawvol", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc %s, want complete", alloc.ClientStatus)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "raw")); err != nil || string(b) != "via-env\n" {
		t.Fatalf("host file = %q, %v; want the task's write through NOMAD_HOST_VOLUME_data", b, err)
	}
}
