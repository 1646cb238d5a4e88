package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// catalogJob is a raw_exec service job of two allocations, each with a
// dynamic port "http" registered as service "web" (provider nomad) and a
// task shutdown_delay.
const catalogJob = `job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = 2
    network {
      port "http" {}
    }
    task "srv" {
      driver = "raw_exec"
      shutdown_delay = "1s"
      config {
        command = "/bin/sh"
        args    = ["-c", "while :; do sleep 1; done"]
      }
      service {
        name     = "web"
        port     = "http"
        provider = "nomad"
        tags     = ["http", "e2e"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// dnsSRV asks the agent's DNS interface for NAME's SRV records and returns
// the rcode and the sorted ports.
func dnsSRV(addr, name string) (string, []int, error) {
	q := new(mdns.Msg)
	q.SetQuestion(mdns.Fqdn(name), mdns.TypeSRV)
	c := &mdns.Client{Net: "udp", Timeout: 2 * time.Second}
	in, _, err := c.Exchange(q, addr)
	if err != nil {
		return "", nil, err
	}
	var ports []int
	for _, rr := range in.Answer {
		if srv, ok := rr.(*mdns.SRV); ok {
			ports = append(ports, int(srv.Port))
		}
	}
	sort.Ints(ports)
	return mdns.RcodeToString[in.Rcode], ports, nil
}

// TestCatalogAgent runs a two-allocation service job on a real agent with
// its DNS interface on: both instances are in the catalog (service info,
// the API) and in the DNS answer; a stopped allocation leaves both, after
// its shutdown_delay was announced; a stopped job leaves nothing.
func TestCatalogAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	dnsPort := portsTB(t, 1)[0]
	a := startDevAgent(t, devAgentOptions{config: fmt.Sprintf("client {\n  dns {\n    enabled = true\n    bind = \"127.0.0.1\"\n    port = %d\n    ttl = \"0s\"\n  }\n}\n", dnsPort)}, "raw_exec")
	dnsAddr := fmt.Sprintf("127.0.0.1:%d", dnsPort)
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("web", catalogJob))

	instances := func() []*nomadlike.ServiceRegistration {
		regs, _, err := a.api().Services().Get(ctx, "web", nil)
		if err != nil {
			t.Fatalf("GET /v1/service/web: %v", err)
		}
		return regs
	}
	ports := func(regs []*nomadlike.ServiceRegistration) []int {
		var out []int
		for _, r := range regs {
			out = append(out, r.Port)
		}
		sort.Ints(out)
		return out
	}
	waitDNS := func(what string, cond func(rcode string, ports []int) bool) {
		t.Helper()
		poll.Until(t, ctxLeft(ctx), "DNS: "+what, func() (bool, string) {
			rcode, got, err := dnsSRV(dnsAddr, "web.service.nomad")
			return err == nil && cond(rcode, got), fmt.Sprintf("last %s %v (err %v)", rcode, got, err)
		})
	}
	var regs []*nomadlike.ServiceRegistration
	poll.Until(t, ctxLeft(ctx), "2 instances of web in the catalog", func() (bool, string) {
		regs = instances()
		return len(regs) == 2, fmt.Sprintf("%d instances", len(regs))
	})
	want := ports(regs)
	for _, r := range regs {
		if r.Port <= 0 || r.Address == "" || r.Status != nomadlike.ServiceStatusPassing || strings.Join(r.Tags, ",") != "http,e2e" {
			t.Errorf("registration %+v: want an address, a port, passing, tags http,e2e", r)
		}
	}
	info := a.mustCLI(ctx, "service", "info", "web")
	for _, p := range want {
		if !strings.Contains(info, fmt.Sprintf(":%d", p)) {
			t.Errorf("service info lacks port %d:\n%s", p, info)
		}
	}
	if list := a.mustCLI(ctx, "service", "list"); !strings.Contains(list, "web") || !strings.Contains(list, "[e2e,http]") {
		t.Errorf("service list = %q, want web [e2e,http]", list)
	}
	waitDNS(fmt.Sprintf("both instances %v", want), func(rcode string, got []int) bool {
		return rcode == "NOERROR" && fmt.Sprint(got) == fmt.Sprint(want)
	})

	if dig, err := exec.LookPath("dig"); err == nil { // the check, when dnsutils is installed
		out, err := exec.CommandContext(ctx, dig, "@127.0.0.1", "-p", strconv.Itoa(dnsPort), "web.service.nomad", "SRV", "+short").CombinedOutput()
		for _, p := range want {
			if err != nil || !strings.Contains(string(out), " "+strconv.Itoa(p)+" ") {
				t.Errorf("dig web.service.nomad SRV = %q, %v; want port %d", out, err, p)
			}
		}
	}

	// Stop one allocation: its instance leaves the API and the DNS answer
	// (a replacement may come, on another port).
	stopped := regs[0]
	a.mustCLI(ctx, "alloc", "stop", "-detach", stopped.AllocID)
	poll.UntilTrue(t, ctxLeft(ctx), "the stopped allocation's instance to be deregistered", func() bool {
		for _, r := range instances() {
			if r.AllocID == stopped.AllocID {
				return false
			}
		}
		return true
	})
	waitDNS(fmt.Sprintf("port %d gone", stopped.Port), func(rcode string, got []int) bool {
		for _, p := range got {
			if p == stopped.Port {
				return false
			}
		}
		return rcode == "NOERROR" && len(got) >= 1
	})
	// The client deregistered, then waited the task's shutdown_delay.
	poll.Until(t, ctxLeft(ctx), "the stopped task's shutdown_delay wait event", func() (bool, string) {
		alloc, _, err := a.api().Allocations().Info(ctx, stopped.AllocID, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts := alloc.TaskStates["srv"]
		return ts != nil && hasEvent(ts.Events, "Waiting for shutdown delay"), fmt.Sprintf("%+v", ts)
	})

	// Stop the job: nothing is left.
	a.mustCLI(ctx, "job", "stop", "-detach", "web")
	poll.Until(t, ctxLeft(ctx), "no instance left after job stop", func() (bool, string) {
		n := len(instances())
		return n == 0, fmt.Sprintf("%d left", n)
	})
	waitDNS("NXDOMAIN", func(rcode string, _ []int) bool { return rcode == "NXDOMAIN" })
	if out := a.mustCLI(ctx, "service", "list"); !strings.Contains(out, "No service registrations found") {
		t.Errorf("service list after job stop = %q", out)
	}
}

func hasEvent(evs []*nomadlike.TaskEvent, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}
