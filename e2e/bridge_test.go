package e2e

import (
	"context"
	"encoding/json"
	"fmt"

	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/network"
)

// bridgeJob is a bridge-mode group: "server" serves on to = 8080 inside the
// namespace, "client" fetches it on 127.0.0.1:8080 and records what it sees
// (hostname, resolv.conf, environment), "hostside" (raw_exec) stays on the
// host's network.
const bridgeJob = `job "bridge" {
  type        = "service"
  datacenters = ["*"]
  group "web" {
    network {
      mode     = "bridge"
      hostname = "web-${NOMAD_ALLOC_INDEX}"
      dns {
        servers  = ["192.0.2.53"]
        searches = ["svc.test"]
        options  = ["ndots:2"]
      }
      port "http" {
        to = 8080
      }
    }
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "mkdir -p /local/www && echo bridge-ok > /local/www/index.html && exec busybox httpd -f -p 8080 -h /local/www"]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
    task "client" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", <<EOT
until busybox wget -q -O /alloc/data/fetched.tmp http://127.0.0.1:8080/; do sleep 0.2; done
mv /alloc/data/fetched.tmp /alloc/data/fetched
hostname > /alloc/data/hostname
cat /etc/resolv.conf > /alloc/data/resolv.conf
env > /alloc/data/env
exec sleep 3600
EOT
        ]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
    task "hostside" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// hostNetState is what bridge networking may leave on the host: network
// namespaces, links and iptables rules.
type hostNetState struct {
	netns, links, rules map[string]bool
}

func captureHostNet(t *testing.T) hostNetState {
	t.Helper()
	lines := func(name string, args ...string) map[string]bool {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		set := map[string]bool{}
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				set[l] = true
			}
		}
		return set
	}
	st := hostNetState{netns: map[string]bool{}, links: map[string]bool{}, rules: map[string]bool{}}
	for l := range lines("ip", "netns", "list") {
		st.netns[strings.Fields(l)[0]] = true
	}
	for l := range lines("ip", "-o", "link", "show") {
		// "45: nomad: <...>" or "46: veth1234@if2: <...>"
		f := strings.Fields(l)
		if len(f) > 1 {
			st.links[strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]] = true
		}
	}
	for l := range lines("iptables-save") {
		if strings.HasPrefix(l, "-A ") {
			st.rules[l] = true
		}
	}
	return st
}

// sharedChains are the chains the CNI plugins create once per host and
// leave (as with Nomad): jumps to them are no allocation's.
var sharedChains = map[string]bool{
	"CNI-FORWARD": true, "NOMAD-ADMIN": true, "CNI-HOSTPORT-DNAT": true, "CNI-HOSTPORT-MASQ": true,
	"CNI-HOSTPORT-SETMARK": true,
}

var chainRef = regexp.MustCompile(`\b(CNI-[A-Za-z0-9-]+|NOMAD-ADMIN)\b`)

// leftovers lists what after has and before had not, beyond the bridge
// itself and the shared chains.
func leftovers(before, after hostNetState, bridges ...string) []string {
	var out []string
	for n := range after.netns {
		if !before.netns[n] {
			out = append(out, "netns "+n)
		}
	}
	for l := range after.links {
		if !before.links[l] && !slices.Contains(bridges, l) {
			out = append(out, "link "+l)
		}
	}
	for r := range after.rules {
		if before.rules[r] {
			continue
		}
		for _, c := range chainRef.FindAllString(r, -1) {
			if !sharedChains[c] {
				out = append(out, "iptables "+r)
				break
			}
		}
		if !chainRef.MatchString(r) {
			out = append(out, "iptables "+r)
		}
	}
	sort.Strings(out)
	return out
}

// waitNoLeftovers waits until the host has nothing of bridge networking
// that it had not before but the named bridges and the shared chains.
func waitNoLeftovers(ctx context.Context, t *testing.T, before hostNetState, bridges ...string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), "no bridge networking leftovers", func() (bool, string) {
		left := leftovers(before, captureHostNet(t), bridges...)
		return len(left) == 0, "these remain on the host:\n" + strings.Join(left, "\n")
	})
}

func needBridge(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("bridge networking needs root")
	}
	for _, p := range []string{"bridge", "host-local", "portmap", "loopback", "firewall"} {
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p)); err != nil {
			t.Skipf("CNI plugin %s missing (scripts/deps.sh installs containernetworking-plugins)", p)
		}
	}
	for _, b := range []string{"iptables", "iptables-save", "ip", "busybox"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s missing (scripts/deps.sh)", b)
		}
	}
}

// cleanupNetworks registers a cleanup that kills the agents (and their
// tasks), then removes whatever namespace the client with dataDir recorded,
// before the data dir goes: a failed test leaks nothing.
func cleanupNetworks(t *testing.T, kill func(), dataDir string) {
	t.Cleanup(func() {
		kill()
		m, err := network.NewManager(network.Config{StateDir: filepath.Join(dataDir, "client", "network")}, hclog.NewNullLogger())
		if err != nil {
			t.Errorf("cleanup networks: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.Reconcile(ctx, func(string) bool { return false }); err != nil {
			t.Errorf("cleanup networks: %v", err)
		}
	})
}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return strings.TrimSpace(string(b)), err
}

// waitHTTP polls url until it answers want.
func waitHTTP(ctx context.Context, t *testing.T, url, want string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), fmt.Sprintf("GET %s to answer %q", url, want), func() (bool, string) {
		got, err := httpGet(ctx, url)
		return err == nil && got == want, fmt.Sprintf("%q, %v", got, err)
	})
}

// waitFile polls for a file the task writes into alloc/data.
func waitFile(ctx context.Context, t *testing.T, path string) string {
	t.Helper()
	var b []byte
	poll.UntilTrue(t, ctxLeft(ctx), path+" to appear", func() bool {
		var err error
		b, err = os.ReadFile(path)
		return err == nil
	})
	return string(b)
}

// TestBridgeExecTwoTasks: two exec tasks of a bridge-mode group share one
// network namespace (the client reaches the server on 127.0.0.1:8080), the
// host reaches the server on the mapped host port (node address and
// 127.0.0.1), hostname, dns and the port variables are as Nomad's; the
// namespace survives a SIGKILL of the agent and its restart; after the job
// stops no namespace, veth or iptables rule of the allocation remains.
func TestBridgeExecTwoTasks(t *testing.T) {
	needBridge(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	before := captureHostNet(t)
	a := startDevAgent(t, devAgentOptions{persistent: true}, "exec", "raw_exec")
	cleanupNetworks(t, a.stopAll, a.dataDir)

	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("bridge", bridgeJob))
	stub := a.waitOneAlloc(ctx, "bridge", nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusFailed)
	allocDataDir := filepath.Join(a.dataDir, "alloc", stub.ID, "alloc", "data")
	fetched := waitFile(ctx, t, filepath.Join(allocDataDir, "fetched"))
	if strings.TrimSpace(fetched) != "bridge-ok" {
		t.Fatalf("the client task fetched %q from 127.0.0.1:8080, want bridge-ok", fetched)
	}

	alloc, _, err := a.api().Allocations().Info(ctx, stub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var port nomadlike.AllocatedPort
	for _, p := range alloc.AllocatedResources.Shared.Ports {
		if p.Label == "http" {
			port = p
		}
	}
	if port.Value == 0 || port.To != 8080 || port.HostIP == "" {
		t.Fatalf("allocated port http = %+v, want a host port mapped to 8080", port)
	}
	hostPort := strconv.Itoa(port.Value)
	waitNetworkStatus(ctx, t, a, stub.ID)
	alloc, _, _ = a.api().Allocations().Info(ctx, stub.ID, nil)
	st := alloc.NetworkStatus
	_, subnet, _ := net.ParseCIDR(network.DefaultBridgeSubnet)
	if ip := net.ParseIP(st.Address); ip == nil || !subnet.Contains(ip) || st.InterfaceName != "eth0" {
		t.Errorf("NetworkStatus = %+v, want eth0 with an address in %s", st, network.DefaultBridgeSubnet)
	}

	t.Run("host reaches the mapped port", func(t *testing.T) {
		for _, host := range []string{port.HostIP, "127.0.0.1"} {
			waitHTTP(ctx, t, "http://"+net.JoinHostPort(host, hostPort)+"/", "bridge-ok")
		}
	})
	t.Run("hostname, dns and environment", func(t *testing.T) {
		if h := strings.TrimSpace(waitFile(ctx, t, filepath.Join(allocDataDir, "hostname"))); h != "web-0" {
			t.Errorf("hostname in the task = %q, want web-0", h)
		}
		resolv := waitFile(ctx, t, filepath.Join(allocDataDir, "resolv.conf"))
		for _, want := range []string{"nameserver 192.0.2.53", "search svc.test", "options ndots:2"} {
			if !strings.Contains(resolv, want) {
				t.Errorf("resolv.conf in the task lacks %q:\n%s", want, resolv)
			}
		}
		env := waitFile(ctx, t, filepath.Join(allocDataDir, "env"))
		for _, want := range []string{
			"NOMAD_PORT_http=8080", "NOMAD_ALLOC_PORT_http=8080", "NOMAD_HOST_PORT_http=" + hostPort,
			"NOMAD_IP_http=" + port.HostIP, "NOMAD_ADDR_http=" + net.JoinHostPort(port.HostIP, hostPort),
			"NOMAD_HOST_ADDR_http=" + net.JoinHostPort(port.HostIP, hostPort),
			"NOMAD_ALLOC_IP_http=" + st.Address, "NOMAD_ALLOC_ADDR_http=" + net.JoinHostPort(st.Address, "8080"),
		} {
			if !strings.Contains(env, want+"\n") {
				t.Errorf("task environment lacks %s", want)
			}
		}
	})
	t.Run("raw_exec stays on the host and says so", func(t *testing.T) {
		events := taskEvents(alloc.TaskStates["hostside"])
		if countString(events, nomadlike.TaskEventHostNetwork) != 1 {
			t.Errorf("raw_exec task events = %v, want one %q", events, nomadlike.TaskEventHostNetwork)
		}
	})
	t.Run("alloc status and Nomad's API shape", func(t *testing.T) {
		out := a.mustCLI(ctx, "alloc", "status", stub.ID)
		for _, want := range []string{`Allocation Addresses (mode = "bridge")`, net.JoinHostPort(port.HostIP, hostPort) + " -> 8080", st.Address} {
			if !strings.Contains(out, want) {
				t.Errorf("alloc status lacks %q:\n%s", want, out)
			}
		}
		resp, err := a.api().Do(ctx, http.MethodGet, "/v1/allocation/"+stub.ID, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var na nomadapi.Allocation
		if err := json.NewDecoder(resp.Body).Decode(&na); err != nil {
			t.Fatalf("decode into Nomad's api.Allocation: %v", err)
		}
		if na.NetworkStatus == nil || na.NetworkStatus.Address != st.Address || na.NetworkStatus.InterfaceName != "eth0" ||
			na.NetworkStatus.DNS == nil || len(na.NetworkStatus.DNS.Servers) != 1 {
			t.Errorf("Nomad api.Allocation.NetworkStatus = %+v, want %s on eth0 with the dns block", na.NetworkStatus, st.Address)
		}
	})

	// The agent dies without a chance to clean up; the restarted one keeps
	// the running allocation's namespace.
	a.crashAndRestart("exec", "raw_exec")
	t.Run("namespace survives an agent crash", func(t *testing.T) {
		waitHTTP(ctx, t, "http://"+net.JoinHostPort("127.0.0.1", hostPort)+"/", "bridge-ok")
		if _, err := os.Stat(filepath.Join(network.DefaultNetnsDir, stub.ID)); err != nil {
			t.Errorf("the running allocation's namespace is gone after the restart: %v", err)
		}
	})

	a.mustCLI(ctx, "job", "stop", "bridge")
	waitNoLeftovers(ctx, t, before, network.DefaultBridgeName)
	if _, err := httpGet(ctx, "http://"+net.JoinHostPort("127.0.0.1", hostPort)+"/"); err == nil {
		t.Errorf("the host port still answers after the job stopped")
	}
}

// waitNetworkStatus waits until the servers know the allocation's network
// status (the client reports it with the task states).
func waitNetworkStatus(ctx context.Context, t *testing.T, a *devAgent, allocID string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), "alloc "+allocID+"'s network status to reach the servers", func() (bool, string) {
		al, _, err := a.api().Allocations().Info(ctx, allocID, nil)
		return err == nil && al.NetworkStatus != nil && al.NetworkStatus.Address != "", fmt.Sprint(err)
	})
}

// noneAndCNIJob runs one group in mode none and one in a user CNI network.
const noneAndCNIJob = `job "modes" {
  type        = "service"
  datacenters = ["*"]
  group "isolated" {
    network {
      mode = "none"
    }
    task "links" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "busybox ip -o link > /alloc/data/links.tmp; mv /alloc/data/links.tmp /alloc/data/links; exec sleep 3600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
  group "custom" {
    network {
      mode = "cni/nltest"
      port "http" {
        to = 8080
      }
      cni {
        args = {
          IgnoreUnknown = "true"
        }
      }
    }
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "mkdir -p /local/www && echo cni-ok > /local/www/index.html && exec busybox httpd -f -p 8080 -h /local/www"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// nltestConfList is a user network for mode cni/nltest: its own bridge
// and range, with portmap.
const nltestConfList = `{
  "cniVersion": "1.0.0",
  "name": "nltest",
  "plugins": [
    {"type": "loopback"},
    {"type": "bridge", "bridge": "nltest0", "isGateway": true, "ipMasq": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.213.7.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}
  ]
}`

// TestBridgeNoneAndCNIModes: mode none gives the group a loopback only;
// mode cni/NAME runs the user's conflist from cni_config_dir (its own
// bridge), with the group's port mapped; both leave nothing after stop.
func TestBridgeNoneAndCNIModes(t *testing.T) {
	needBridge(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := captureHostNet(t)
	confDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(confDir, "nltest.conflist"), []byte(nltestConfList), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "nltest0").Run() })
	a := startDevAgent(t, devAgentOptions{persistent: true, config: fmt.Sprintf("client {\n  cni_config_dir = %q\n}\n", confDir)}, "exec")
	cleanupNetworks(t, a.stopAll, a.dataDir)

	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("modes", noneAndCNIJob))
	allocs := a.waitAllocs(ctx, "modes", "two running allocations", func(l []*nomadlike.AllocListStub) bool {
		return len(l) == 2 && l[0].ClientStatus == nomadlike.AllocClientStatusRunning && l[1].ClientStatus == nomadlike.AllocClientStatusRunning
	})
	for _, stub := range allocs {
		switch stub.TaskGroup {
		case "isolated":
			links := waitFile(ctx, t, filepath.Join(a.dataDir, "alloc", stub.ID, "alloc", "data", "links"))
			if n := strings.Count(strings.TrimSpace(links), "\n") + 1; n != 1 || !strings.Contains(links, ": lo:") {
				t.Errorf("links in mode none = %q, want the loopback only", links)
			}
		case "custom":
			alloc, _, err := a.api().Allocations().Info(ctx, stub.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			port := alloc.AllocatedResources.Shared.Ports[0]
			waitHTTP(ctx, t, "http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(port.Value))+"/", "cni-ok")
			waitNetworkStatus(ctx, t, a, stub.ID)
			alloc, _, _ = a.api().Allocations().Info(ctx, stub.ID, nil)
			if !strings.HasPrefix(alloc.NetworkStatus.Address, "10.213.7.") {
				t.Errorf("cni/nltest address = %q, want one in 10.213.7.0/24", alloc.NetworkStatus.Address)
			}
		}
	}

	a.mustCLI(ctx, "job", "stop", "modes")
	waitNoLeftovers(ctx, t, before, network.DefaultBridgeName, "nltest0")
}

// bridgeServeJob is one exec task serving on to = 8080 in bridge mode.
const bridgeServeJob = `job "bridge-down" {
  type        = "service"
  datacenters = ["*"]
  group "web" {
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
    }
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "mkdir -p /local/www && echo down-ok > /local/www/index.html && exec busybox httpd -f -p 8080 -h /local/www"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// TestBridgeStoppedWhileAgentDown: the client agent is SIGKILLed while a
// bridge-mode allocation runs (its namespace, veth and rules stay, as its
// tasks do), the job is purged meanwhile, and the restarted client removes
// all of it: nothing of the allocation remains on the host.
func TestBridgeStoppedWhileAgentDown(t *testing.T) {
	needBridge(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := captureHostNet(t)
	c := newFaultCluster(t, clusterOptions{servers: 1, clients: 1})
	client := c.clients[0]
	cleanupNetworks(t, c.cleanup, client.dataDir)
	addr := "-address=http://" + c.servers[0].HTTPAddr()
	jobPath := filepath.Join(t.TempDir(), "job.nomad.hcl")
	if err := os.WriteFile(jobPath, []byte(bridgeServeJob), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(ctx, t, "job", "run", "-detach", addr, jobPath); code != 0 {
		t.Fatalf("job run = %d\n%s", code, out)
	}
	var alloc *nomadlike.Allocation
	poll.UntilTrue(c.tb, 90*time.Second, "a running bridge allocation", func() bool {
		stubs, _, err := c.api().Jobs().Allocations(ctx, "bridge-down", false, nil)
		if err != nil || len(stubs) != 1 || stubs[0].ClientStatus != nomadlike.AllocClientStatusRunning {
			return false
		}
		alloc, _, err = c.api().Allocations().Info(ctx, stubs[0].ID, nil)
		return err == nil
	})
	hostPort := strconv.Itoa(alloc.AllocatedResources.Shared.Ports[0].Value)
	waitHTTP(ctx, t, "http://127.0.0.1:"+hostPort+"/", "down-ok")

	client.Kill()
	if _, err := client.Wait(ctx); err != nil {
		t.Fatalf("wait for the killed client: %v", err)
	}
	if _, err := os.Stat(filepath.Join(network.DefaultNetnsDir, alloc.ID)); err != nil {
		t.Fatalf("the namespace should outlive the killed agent: %v", err)
	}
	if code, out := runCLI(ctx, t, "job", "stop", "-purge", "-detach", addr, "bridge-down"); code != 0 {
		t.Fatalf("job stop = %d\n%s", code, out)
	}
	client.Start()
	waitNoLeftovers(ctx, t, before, network.DefaultBridgeName)
}

// TestBridgeContainerd: a containerd task of a bridge-mode group runs in
// the allocation's namespace (OCI network namespace path), with its
// hostname and resolv.conf, and is reached on the mapped host port; the
// job's stop leaves nothing.
func TestBridgeContainerd(t *testing.T) {
	needBridge(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	before := captureHostNet(t)
	e := startContainerdEnv(t, "DEBUG")
	a := e.agent
	cleanupNetworks(t, a.stopAll, a.dataDir)

	job := e.job("ctr-bridge", "service", `        command = "sh"
        args    = ["-c", "echo host=$(hostname); cat /etc/resolv.conf; mkdir -p /tmp/w && echo ctrd-ok > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w"]`, "")
	job = strings.Replace(job, `group "g" {`, `group "g" {
    network {
      mode     = "bridge"
      hostname = "ctr-web"
      dns {
        servers = ["192.0.2.1"]
      }
      port "http" {
        to = 8080
      }
    }`, 1)
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("ctr-bridge", job))
	stub := a.waitOneAlloc(ctx, "ctr-bridge", nomadlike.AllocClientStatusRunning)
	logs := a.waitLogs(ctx, stub.ID, "nameserver 192.0.2.1")
	if !strings.Contains(logs, "host=ctr-web") {
		t.Errorf("container output = %q, want its hostname ctr-web", logs)
	}
	alloc, _, err := a.api().Allocations().Info(ctx, stub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := strconv.Itoa(alloc.AllocatedResources.Shared.Ports[0].Value)
	waitHTTP(ctx, t, "http://127.0.0.1:"+hostPort+"/", "ctrd-ok")

	a.mustCLI(ctx, "job", "stop", "ctr-bridge")
	waitNoLeftovers(ctx, t, before, network.DefaultBridgeName)
}
