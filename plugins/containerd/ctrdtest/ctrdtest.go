// Package ctrdtest starts a private containerd daemon for tests: its own
// root, state directory and socket under a temporary directory, stopped and
// cleaned up when the test ends. Set NOMADLIKE_CONTAINERD_ADDRESS to use an
// existing daemon instead. It also builds the busybox test image archive.
package ctrdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/plugins/containerd/ociimage"
)

// AddressEnv names an existing daemon's socket to use instead of starting one.
const AddressEnv = "NOMADLIKE_CONTAINERD_ADDRESS"

// Daemon is a running containerd.
type Daemon struct {
	Address string
	Root    string
}

// Start starts a private containerd daemon, or returns the one AddressEnv
// names. It fails the test, never skips it, when containerd or runc is
// missing: `make deps` installs them.
func Start(t testing.TB, namespace string) *Daemon {
	t.Helper()
	if addr := os.Getenv(AddressEnv); addr != "" {
		d := &Daemon{Address: addr}
		t.Cleanup(func() { d.cleanNamespace(t, namespace) })
		return d
	}
	for _, bin := range []string{"containerd", "runc", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: run `make deps` (apt-get install containerd runc)", bin)
		}
	}
	// Unix socket paths are limited to 108 bytes: keep the directory short.
	dir, err := os.MkdirTemp("/tmp", "ctrd-")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Address: filepath.Join(dir, "c.sock"), Root: filepath.Join(dir, "root")}
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
`, d.Root, filepath.Join(dir, "state"), d.Address, d.Address+".ttrpc")
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	t.Cleanup(func() {
		d.cleanNamespace(t, namespace)
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-waitErr:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-waitErr
		}
		logf.Close()
		unmountUnder(dir)
		os.RemoveAll(dir)
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := containerd.New(d.Address, containerd.WithTimeout(time.Second)); err == nil {
			_, verr := c.Version(context.Background())
			c.Close()
			if verr == nil {
				break
			}
		}
		select {
		case err := <-waitErr:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("containerd exited: %v\n%s", err, tail(string(out), 2000))
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("containerd did not start within 30s\n%s", tail(string(out), 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

// cleanNamespace kills and deletes every task and container the test left
// in namespace, so that no shim outlives the test.
func (d *Daemon) cleanNamespace(t testing.TB, namespace string) {
	c, err := containerd.New(d.Address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), namespace), 60*time.Second)
	defer cancel()
	ctrs, err := c.Containers(ctx)
	if err != nil {
		return
	}
	for _, ctr := range ctrs {
		if task, err := ctr.Task(ctx, nil); err == nil {
			task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll)
			if _, err := task.Delete(ctx, containerd.WithProcessKill); err != nil {
				t.Logf("cleanup: delete task %s: %v", ctr.ID(), err)
			}
		}
		if err := ctr.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
			t.Logf("cleanup: delete container %s: %v", ctr.ID(), err)
		}
	}
}

// Containers lists the IDs of the daemon's containers in namespace whose
// nomadlike.alloc_id label is allocID.
func (d *Daemon) Containers(tb testing.TB, namespace, allocID string) []string {
	tb.Helper()
	c, err := containerd.New(d.Address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		tb.Fatalf("connect to containerd: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), namespace), 10*time.Second)
	defer cancel()
	ctrs, err := c.Containers(ctx, fmt.Sprintf(`labels."nomadlike.alloc_id"==%q`, allocID))
	if err != nil {
		tb.Fatalf("list containers: %v", err)
	}
	var ids []string
	for _, ctr := range ctrs {
		ids = append(ids, ctr.ID())
	}
	return ids
}

// unmountUnder unmounts every mount point below dir, deepest first.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir) {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		unix.Unmount(points[i], unix.MNT_DETACH)
	}
}

// BusyboxArchive builds the busybox test image archive named ref into dir
// and returns its path.
func BusyboxArchive(t testing.TB, dir, ref string) string {
	t.Helper()
	p := filepath.Join(dir, "busybox.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ociimage.BuildBusybox(f, ociimage.Options{Ref: ref}); err != nil {
		t.Fatalf("build busybox image (make deps installs busybox-static): %v", err)
	}
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
