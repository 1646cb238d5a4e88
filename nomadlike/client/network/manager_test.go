package network

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// needCNI skips unless the test runs as root with Debian's CNI plugins.
func needCNI(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, p := range []string{"bridge", "host-local", "portmap", "loopback", "firewall"} {
		if !havePlugin(DefaultCNIPath, p) {
			t.Skipf("CNI plugin %s not installed (scripts/deps.sh)", p)
		}
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("iptables not installed")
	}
}

// testManager returns a manager whose namespaces live in a temporary
// directory; every namespace left at the end is torn down.
func testManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	dir := t.TempDir()
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(dir, "state")
	}
	if cfg.NetnsDir == "" {
		cfg.NetnsDir = filepath.Join(dir, "netns")
	}
	m, err := NewManager(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Reconcile(context.Background(), func(string) bool { return false }); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		// The shared bind of the netns dir goes with the temp dir.
		_ = unix.Unmount(cfg.NetnsDir, unix.MNT_DETACH)
	})
	return m
}

func testAllocID(t *testing.T) string {
	return nomadlike.GenerateUUID()
}

func TestManagerBridgeSetupTeardown(t *testing.T) {
	needCNI(t)
	m := testManager(t, Config{})
	id := testAllocID(t)
	ctx := context.Background()
	etc := t.TempDir()
	res, err := m.Setup(ctx, Request{
		AllocID: id, Mode: "bridge", Hostname: "web-0", EtcDir: etc,
		DNS:   &nomadlike.DNSConfig{Servers: []string{"1.1.1.1"}},
		Ports: []PortMapping{{Label: "http", HostPort: 23456, ContainerPort: 8080}},
	})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	_, subnet, _ := net.ParseCIDR(DefaultBridgeSubnet)
	if ip := net.ParseIP(res.Status.Address); ip == nil || !subnet.Contains(ip) {
		t.Errorf("Status.Address = %q, want an address in %s", res.Status.Address, DefaultBridgeSubnet)
	}
	if res.Status.InterfaceName != "eth0" || !isNetns(res.Isolation.Path) {
		t.Errorf("Setup() = %+v %+v, want eth0 and a mounted namespace", res.Status, res.Isolation)
	}
	hosts, _ := os.ReadFile(res.Isolation.HostsPath)
	if !strings.Contains(string(hosts), res.Status.Address+" web-0") {
		t.Errorf("hosts = %q, want the address named web-0", hosts)
	}
	out, err := exec.Command("iptables-save", "-t", "nat").CombinedOutput()
	if err != nil || !strings.Contains(string(out), id) {
		t.Errorf("iptables-save: no rule names the allocation %s (%v)", id, err)
	}
	// A second Setup (an agent restarted with the allocation running)
	// finds the same namespace.
	again, err := m.Setup(ctx, Request{AllocID: id, Mode: "bridge"})
	if err != nil || again.Status.Address != res.Status.Address {
		t.Errorf("Setup again = %+v, %v; want the same address %s", again, err, res.Status.Address)
	}

	if err := m.Teardown(ctx, id); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if _, err := os.Stat(res.Isolation.Path); !os.IsNotExist(err) {
		t.Errorf("netns %s still exists after Teardown (%v)", res.Isolation.Path, err)
	}
	out, _ = exec.Command("iptables-save").CombinedOutput()
	if strings.Contains(string(out), id) {
		t.Errorf("iptables rules of %s remain after Teardown:\n%s", id, out)
	}
	if ids, _ := m.Allocations(); len(ids) != 0 {
		t.Errorf("Allocations() = %v after Teardown, want none", ids)
	}
}

func TestManagerNoneMode(t *testing.T) {
	needCNI(t)
	m := testManager(t, Config{})
	id := testAllocID(t)
	res, err := m.Setup(context.Background(), Request{AllocID: id, Mode: "none"})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	links, err := exec.Command("nsenter", "--net="+res.Isolation.Path, "ip", "-o", "link").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link in the namespace: %v: %s", err, links)
	}
	if n := strings.Count(strings.TrimSpace(string(links)), "\n") + 1; n != 1 || !strings.Contains(string(links), "lo:") {
		t.Errorf("links in mode none = %q, want loopback only", links)
	}
}

func TestManagerReconcile(t *testing.T) {
	needCNI(t)
	m := testManager(t, Config{})
	ctx := context.Background()
	keep, gone := testAllocID(t), testAllocID(t)
	var paths = map[string]string{}
	for _, id := range []string{keep, gone} {
		res, err := m.Setup(ctx, Request{AllocID: id, Mode: "bridge"})
		if err != nil {
			t.Fatalf("Setup %s: %v", id, err)
		}
		paths[id] = res.Isolation.Path
	}
	// A new manager on the same state stands for a restarted agent.
	m2, err := NewManager(m.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Reconcile(ctx, func(id string) bool { return id == keep }); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if !isNetns(paths[keep]) {
		t.Errorf("the running allocation's namespace was removed")
	}
	if _, err := os.Stat(paths[gone]); !os.IsNotExist(err) {
		t.Errorf("the gone allocation's namespace %s remains (%v)", paths[gone], err)
	}
	if ids, _ := m2.Allocations(); len(ids) != 1 || ids[0] != keep {
		t.Errorf("Allocations() = %v, want [%s]", ids, keep)
	}
}

// TestCNIArgs runs a user network (mode cni/NAME from cni_config_dir)
// whose plugin is a script recording what it was given: CNI_ARGS carries
// the cni block's args, and DEL follows ADD.
func TestCNIArgs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	bin, confDir, log := filepath.Join(dir, "bin"), filepath.Join(dir, "conf"), filepath.Join(dir, "calls")
	for _, d := range []string{bin, confDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\ncat >/dev/null\necho \"$CNI_COMMAND $CNI_ARGS\" >>" + log + "\n" +
		"case \"$CNI_COMMAND\" in ADD) echo '{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"'$CNI_NETNS'\"}]," +
		"\"ips\":[{\"address\":\"10.9.8.7/24\",\"interface\":0}]}';; VERSION) echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"1.0.0\"]}';; esac\n"
	if err := os.WriteFile(filepath.Join(bin, "recorder"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := map[string]any{"cniVersion": "1.0.0", "name": "mynet", "plugins": []any{map[string]any{"type": "recorder"}}}
	b, _ := json.Marshal(conf)
	if err := os.WriteFile(filepath.Join(confDir, "mynet.conflist"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	m := testManager(t, Config{CNIPath: []string{bin}, CNIConfigDir: confDir})
	id := testAllocID(t)
	res, err := m.Setup(context.Background(), Request{AllocID: id, Mode: "cni/mynet", CNIArgs: map[string]string{"team": "web", "env": "prod"}})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if res.Status.Address != "10.9.8.7" {
		t.Errorf("Status.Address = %q, want 10.9.8.7", res.Status.Address)
	}
	if _, err := m.Setup(context.Background(), Request{AllocID: testAllocID(t), Mode: "cni/other"}); err == nil || !strings.Contains(err.Error(), "cni_config_dir") {
		t.Errorf("Setup(cni/other) = %v, want an error naming cni_config_dir", err)
	}
	if err := m.Teardown(context.Background(), id); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	calls, _ := os.ReadFile(log)
	want := "ADD env=prod;team=web\nDEL env=prod;team=web\n"
	if string(calls) != want {
		t.Errorf("plugin calls = %q, want %q", calls, want)
	}
}

func TestResolvConf(t *testing.T) {
	tests := []struct {
		name string
		dns  nomadlike.DNSConfig
		want string
	}{
		{"servers", nomadlike.DNSConfig{Servers: []string{"1.1.1.1", "8.8.8.8"}},
			"nameserver 1.1.1.1\nnameserver 8.8.8.8\n"},
		{"all", nomadlike.DNSConfig{Servers: []string{"10.0.0.2"}, Searches: []string{"svc.local", "local"}, Options: []string{"ndots:2", "edns0"}},
			"nameserver 10.0.0.2\nsearch svc.local local\noptions ndots:2 edns0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ResolvConf(&tc.dns)
			_, body, _ := strings.Cut(got, "\n")
			if body != tc.want {
				t.Errorf("ResolvConf(%+v) = %q, want %q", tc.dns, body, tc.want)
			}
		})
	}
}
