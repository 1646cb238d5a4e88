package dns_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/services"
	"github.com/nomadlike/nomadlike/nomadlike/dns"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// checks is the check-status seam, set by the test.
type checks struct {
	mu     sync.Mutex
	status map[string]string
}

func (c *checks) ServiceStatus(allocID, service string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status[allocID]
}

func (c *checks) set(allocID, status string) {
	c.mu.Lock()
	c.status[allocID] = status
	c.mu.Unlock()
}

type registrar struct {
	c      *api.Client
	secret string
}

func (r registrar) Upsert(ctx context.Context, regs []*nomadlike.ServiceRegistration) error {
	_, err := r.c.UpsertServiceRegistrations(ctx, r.secret, regs)
	return err
}

func (r registrar) Deregister(ctx context.Context, ids []string) error {
	_, err := r.c.DeregisterServices(ctx, r.secret, ids)
	return err
}

// TestCatalogFailingInstanceLeavesDNS drives the whole chain but the
// check runner: a client's service manager registers two allocations'
// "web" through the real HTTP API as its node; the DNS interface, reading
// as the same node with blocking queries, answers both; the check seam
// turns one critical and it leaves the answer (and ?passing=true), then
// comes back; a deregistration before a kill removes it for good.
func TestCatalogFailingInstanceLeavesDNS(t *testing.T) {
	fake := httpapitest.NewServer()
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Server: fake, Agent: &httpapitest.Agent{Healthy: true}}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	node := fixture.Node()
	node.Attributes["unique.network.ip-address"] = "127.0.0.1"
	if _, _, err := fake.RegisterNode(node, ""); err != nil {
		t.Fatal(err)
	}
	job := fixture.Job()
	job.TaskGroups[0].Services = []*nomadlike.Service{{Name: "web", PortLabel: "http", Provider: "nomad"}}
	if _, _, _, err := fake.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	cs := &checks{status: map[string]string{}}
	m := services.New(services.Config{Registrar: registrar{c, node.SecretID}, Node: func() *nomadlike.Node { return node }, Checks: cs,
		RetryInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	var allocs []*nomadlike.Allocation
	for i := range 2 {
		a := fixture.Alloc(job, node, i)
		a.AllocatedResources = &nomadlike.AllocatedResources{Shared: nomadlike.AllocatedSharedResources{
			Ports: []nomadlike.AllocatedPort{{Label: "http", Value: 20000 + i, HostIP: fmt.Sprintf("10.9.0.%d", i+1)}}}}
		a.ClientStatus = nomadlike.AllocClientStatusRunning
		fake.PutAlloc(a)
		allocs = append(allocs, a)
		m.AllocStateUpdated(a)
	}

	cache := dns.NewCache(dns.SourceFunc(func(ctx context.Context, ns, name string, idx uint64) ([]*nomadlike.ServiceRegistration, uint64, error) {
		regs, qm, err := c.NodeServiceInstances(ctx, node.SecretID, ns, name, idx, 10*time.Second)
		if err != nil {
			return nil, 0, err
		}
		return regs, qm.LastIndex, nil
	}), dns.CacheConfig{})
	ds, err := dns.Start(dns.Config{Bind: "127.0.0.1", Port: -1}, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Shutdown(); cache.Close() })

	srvAnswer := func() string {
		q := new(mdns.Msg)
		q.SetQuestion("web.service.nomad.", mdns.TypeSRV)
		in, err := mdns.Exchange(q, ds.Addr())
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, rr := range in.Answer {
			out = append(out, fmt.Sprintf("%s:%d", rr.(*mdns.SRV).Target, rr.(*mdns.SRV).Port))
		}
		sort.Strings(out)
		return fmt.Sprint(mdns.RcodeToString[in.Rcode], out)
	}
	wait := func(want string) {
		t.Helper()
		poll.Until(t, 10*time.Second, "the DNS answer", func() (bool, string) {
			got := srvAnswer()
			return got == want, "DNS answer " + got + ", want " + want
		})
	}
	both := "NOERROR[0a090001.addr.nomad.:20000 0a090002.addr.nomad.:20001]"
	wait(both)

	cs.set(allocs[1].ID, nomadlike.ServiceStatusCritical)
	m.ChecksChanged(allocs[1].ID)
	wait("NOERROR[0a090001.addr.nomad.:20000]")
	passing, _, err := c.Services().Get(context.Background(), "web", &api.QueryOptions{Params: map[string]string{"passing": "true"}})
	if err != nil || len(passing) != 1 || passing[0].AllocID != allocs[0].ID {
		t.Errorf("?passing=true = %v, %v; want only the first allocation", passing, err)
	}

	cs.set(allocs[1].ID, nomadlike.ServiceStatusPassing)
	m.ChecksChanged(allocs[1].ID)
	wait(both)

	m.Deregister(allocs[0].ID)
	m.Deregister(allocs[1].ID)
	wait("NXDOMAIN[]")
}
