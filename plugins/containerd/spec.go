package containerd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
)

// Paths inside the container, as Nomad's.
const (
	containerAllocDir   = "/alloc"
	containerLocalDir   = "/local"
	containerSecretsDir = "/secrets"
)

// specOpts turns a task into OCI spec options. Relative bind sources are
// staged in stage, which the caller releases once the task is created.
func specOpts(cfg *drivers.TaskConfig, tc *TaskConfig, pol taskPolicy, img containerd.Image, hostsFile string, stage *bindStage) ([]oci.SpecOpts, error) {
	opts := []oci.SpecOpts{oci.WithImageConfig(img)}

	switch {
	case len(tc.Entrypoint) > 0:
		args := append([]string(nil), tc.Entrypoint...)
		if tc.Command != "" {
			args = append(args, tc.Command)
		}
		opts = append(opts, oci.WithProcessArgs(append(args, tc.Args...)...))
	case tc.Command != "":
		opts = append(opts, oci.WithProcessArgs(append([]string{tc.Command}, tc.Args...)...))
	case len(tc.Args) > 0:
		opts = append(opts, oci.WithImageConfigArgs(img, tc.Args))
	}
	if tc.Cwd != "" {
		opts = append(opts, oci.WithProcessCwd(tc.Cwd))
	}
	if env := envList(cfg.Env, cfg.TaskDir); len(env) > 0 {
		opts = append(opts, oci.WithEnv(env))
	}
	if cfg.User != "" {
		opts = append(opts, oci.WithUser(cfg.User))
	}
	hostname := tc.Hostname
	if hostname == "" {
		hostname = cfg.Name
	}
	opts = append(opts, oci.WithHostname(hostname))

	mounts, err := taskMounts(cfg, tc, hostsFile, stage)
	if err != nil {
		return nil, err
	}
	opts = append(opts, oci.WithMounts(mounts))

	netOpts, err := networkOpts(cfg, tc, hostsFile) // bridge networking
	if err != nil {
		return nil, err
	}
	opts = append(opts, netOpts...)
	if tc.HostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace), oci.WithHostResolvconf)
		if hostsFile == "" {
			opts = append(opts, oci.WithHostHostsFile)
		}
	}
	if tc.ReadonlyRootfs {
		opts = append(opts, oci.WithRootFSReadonly())
	}
	if tc.Privileged {
		opts = append(opts, oci.WithPrivileged, oci.WithAllDevicesAllowed, oci.WithHostDevices)
	} else {
		// Set every capability list, not a delta of containerd's default
		// (which holds NET_RAW).
		opts = append(opts, oci.WithCapabilities(effectiveCaps(tc, pol)))
		if tc.seccomp() {
			// After the capabilities: the profile allows the syscalls of
			// the capabilities the container has.
			opts = append(opts, seccomp.WithDefaultProfile())
		}
	}

	// Resources: memory_max (when set) is the hard limit, else memory; CPU
	// shares are the task's MHz, as Nomad maps them.
	memMB := cfg.Resources.MemoryMB
	if cfg.Resources.MemoryMaxMB > memMB {
		memMB = cfg.Resources.MemoryMaxMB
	}
	if memMB > 0 {
		opts = append(opts, oci.WithMemoryLimit(uint64(memMB)*1024*1024), withMemorySwapLimit(memMB*1024*1024))
	}
	if cfg.Resources.CPUShares > 0 {
		shares := cfg.Resources.CPUShares
		if shares < 2 {
			shares = 2
		}
		opts = append(opts, oci.WithCPUShares(uint64(shares)))
	}
	return opts, nil
}

// withMemorySwapLimit sets swap equal to memory so the limit cannot be escaped
// through swap.
func withMemorySwapLimit(bytes int64) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		if s.Linux.Resources.Memory == nil {
			s.Linux.Resources.Memory = &specs.LinuxMemory{}
		}
		s.Linux.Resources.Memory.Swap = &bytes
		return nil
	}
}

func taskMounts(cfg *drivers.TaskConfig, tc *TaskConfig, hostsFile string, stage *bindStage) ([]specs.Mount, error) {
	var mounts []specs.Mount
	bind := func(src, dst string, ro bool) {
		opts := []string{"rbind", "rprivate"}
		if ro {
			opts = append(opts, "ro")
		} else {
			opts = append(opts, "rw")
		}
		mounts = append(mounts, specs.Mount{Type: "bind", Source: src, Destination: dst, Options: opts})
	}
	if cfg.TaskDir.SharedDir != "" {
		bind(cfg.TaskDir.SharedDir, containerAllocDir, false)
	}
	if cfg.TaskDir.LocalDir != "" {
		bind(cfg.TaskDir.LocalDir, containerLocalDir, false)
	}
	if cfg.TaskDir.SecretsDir != "" {
		bind(cfg.TaskDir.SecretsDir, containerSecretsDir, false)
	}
	if hostsFile != "" {
		bind(hostsFile, "/etc/hosts", true)
	}
	for i, m := range tc.Mounts {
		typ := m.Type
		if typ == "" {
			typ = "bind"
		}
		opts := append([]string(nil), m.Options...)
		src := m.Source
		if typ == "bind" {
			var err error
			if src, err = bindSource(cfg, src, stage); err != nil {
				return nil, &FieldError{Field: fmt.Sprintf("config.mounts[%d].source", i), Message: err.Error(), Err: err}
			}
			if !hasOption(opts, "bind") && !hasOption(opts, "rbind") {
				opts = append(opts, "rbind")
			}
		}
		if typ == "tmpfs" {
			src = "tmpfs"
		}
		mounts = append(mounts, specs.Mount{Type: typ, Source: src, Destination: m.Target, Options: opts})
	}
	vols, err := volumeMounts(cfg.Mounts) // host volumes (volumes.go)
	if err != nil {
		return nil, err
	}
	return append(mounts, vols...), nil
}

// bindSource returns the host path runc binds. A relative source is
// resolved beneath the allocation directory, starting in the task
// directory, and staged from its opened handle, so that neither a symlink
// nor a rename can swap in a host path. An absolute source is a host path
// the validation let through (volumes.enabled).
func bindSource(cfg *drivers.TaskConfig, src string, stage *bindStage) (string, error) {
	if filepath.IsAbs(src) {
		if _, err := os.Stat(src); err != nil {
			return "", err
		}
		return src, nil
	}
	root, rel := taskRelative(cfg.AllocDir, cfg.TaskDir.Dir, src)
	f, err := openBeneath(root, rel, unix.O_PATH)
	if err != nil {
		return "", fmt.Errorf("relative source %q: %w", src, err)
	}
	defer f.Close()
	return stage.add(f)
}

func within(base, p string) bool {
	rel, err := filepath.Rel(base, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func hasOption(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

// writeHostsFile writes an /etc/hosts with the extra hosts into dir, or
// returns "" when there are none.
func writeHostsFile(dir, hostname string, extra []string) (string, error) {
	if len(extra) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	if hostname != "" {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", hostname)
	}
	for _, h := range extra {
		host, ip, _ := strings.Cut(h, ":")
		fmt.Fprintf(&b, "%s\t%s\n", ip, host)
	}
	// A task that can write its task directory (a relative bind of ".")
	// may have left a symlink here: replace it, never write through it.
	p := filepath.Join(dir, "hosts")
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("write hosts file: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return "", fmt.Errorf("write hosts file: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return "", fmt.Errorf("write hosts file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write hosts file: %w", err)
	}
	return p, nil
}

// envList renders the task env, with NOMAD_*_DIR pointing at the paths
// inside the container.
func envList(env map[string]string, dirs drivers.TaskDir) []string {
	out := make([]string, 0, len(env)+3)
	for k, v := range env {
		switch k {
		case "NOMAD_ALLOC_DIR":
			v = containerAllocDir
		case "NOMAD_TASK_DIR":
			v = containerLocalDir
		case "NOMAD_SECRETS_DIR":
			v = containerSecretsDir
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
