package dns

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// fakeSource is a catalog whose reads block until it changes, as the
// servers' blocking queries do.
type fakeSource struct {
	mu        sync.Mutex
	changedCh chan struct{}
	index     uint64
	regs      []*nomadlike.ServiceRegistration
}

func newFakeSource() *fakeSource { return &fakeSource{changedCh: make(chan struct{}), index: 1} }

func (f *fakeSource) set(regs ...*nomadlike.ServiceRegistration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regs = regs
	f.index++
	close(f.changedCh)
	f.changedCh = make(chan struct{})
}

func (f *fakeSource) Service(ctx context.Context, ns, name string, waitIndex uint64) ([]*nomadlike.ServiceRegistration, uint64, error) {
	for {
		f.mu.Lock()
		idx, ch := f.index, f.changedCh
		var out []*nomadlike.ServiceRegistration
		for _, r := range f.regs {
			if r.Namespace == ns && r.ServiceName == name {
				out = append(out, r)
			}
		}
		f.mu.Unlock()
		if idx > waitIndex {
			return out, idx, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

func inst(ns, name, addr string, port int, status string) *nomadlike.ServiceRegistration {
	return &nomadlike.ServiceRegistration{ID: fmt.Sprintf("%s-%s-%s-%d", ns, name, addr, port), Namespace: ns, ServiceName: name,
		Address: addr, Port: port, Status: status}
}

func startTestServer(t *testing.T, src Source, cfg Config, cc CacheConfig) *Server {
	t.Helper()
	cache := NewCache(src, cc)
	cfg.Bind, cfg.Port = "127.0.0.1", -1
	s, err := Start(cfg, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); cache.Close() })
	return s
}

func ask(t *testing.T, s *Server, network, name string, qtype uint16, id uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.Id = id
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	in, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return in
}

// answers lists the answer section as "A 10.0.0.1" / "SRV 8080 target".
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch r := rr.(type) {
		case *dns.A:
			out = append(out, "A "+r.A.String())
		case *dns.AAAA:
			out = append(out, "AAAA "+r.AAAA.String())
		case *dns.SRV:
			out = append(out, fmt.Sprintf("SRV %d %s", r.Port, r.Target))
		}
	}
	sort.Strings(out)
	return out
}

func TestDNSAnswers(t *testing.T) {
	src := newFakeSource()
	src.set(
		inst("default", "web", "10.0.0.1", 8080, "passing"),
		inst("default", "web", "10.0.0.2", 8081, ""),
		inst("default", "web", "10.0.0.3", 8082, "critical"),
		inst("default", "v6", "fd00::1", 9000, "passing"),
		inst("team", "api", "10.1.0.1", 7000, "passing"),
	)
	s := startTestServer(t, src, Config{TTL: 7 * time.Second}, CacheConfig{})
	cases := []struct {
		name, q string
		qtype   uint16
		network string
		rcode   int
		want    string
	}{
		{"A of passing instances", "web.service.nomad", dns.TypeA, "udp", dns.RcodeSuccess, "[A 10.0.0.1 A 10.0.0.2]"},
		{"case-insensitive, explicit default namespace", "WEB.service.default.nomad", dns.TypeA, "udp", dns.RcodeSuccess, "[A 10.0.0.1 A 10.0.0.2]"},
		{"SRV", "web.service.nomad", dns.TypeSRV, "udp", dns.RcodeSuccess, "[SRV 8080 0a000001.addr.nomad. SRV 8081 0a000002.addr.nomad.]"},
		{"over TCP", "web.service.nomad", dns.TypeA, "tcp", dns.RcodeSuccess, "[A 10.0.0.1 A 10.0.0.2]"},
		{"AAAA", "v6.service.nomad", dns.TypeAAAA, "udp", dns.RcodeSuccess, "[AAAA fd00::1]"},
		{"A of an IPv6-only service", "v6.service.nomad", dns.TypeA, "udp", dns.RcodeSuccess, "[]"},
		{"namespaced", "api.service.team.nomad", dns.TypeA, "udp", dns.RcodeSuccess, "[A 10.1.0.1]"},
		{"other namespace", "api.service.nomad", dns.TypeA, "udp", dns.RcodeNameError, "[]"},
		{"unknown service", "nope.service.nomad", dns.TypeA, "udp", dns.RcodeNameError, "[]"},
		{"SRV target", "0a000001.addr.nomad", dns.TypeA, "udp", dns.RcodeSuccess, "[A 10.0.0.1]"},
		{"unknown form in the zone", "x.y.z.nomad", dns.TypeA, "udp", dns.RcodeNameError, "[]"},
		{"other zone", "example.com", dns.TypeA, "udp", dns.RcodeRefused, "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := ask(t, s, tc.network, tc.q, tc.qtype, 1)
			if m.Rcode != tc.rcode || fmt.Sprint(answers(m)) != tc.want {
				t.Fatalf("%s = %s %v, want %s %s", tc.q, dns.RcodeToString[m.Rcode], answers(m), dns.RcodeToString[tc.rcode], tc.want)
			}
			for _, rr := range m.Answer {
				if rr.Header().Ttl != 7 {
					t.Errorf("TTL = %d, want 7", rr.Header().Ttl)
				}
			}
		})
	}
	if m := ask(t, s, "udp", "web.service.nomad", dns.TypeSRV, 2); len(m.Extra) != 2 {
		t.Errorf("SRV extra section = %v, want the A records of both targets", m.Extra)
	}
	upd := new(dns.Msg)
	upd.SetUpdate("nomad.")
	if in, err := dns.Exchange(upd, s.Addr()); err != nil || in.Rcode != dns.RcodeNotImplemented {
		t.Errorf("UPDATE = %v, %v; want NOTIMP", in, err)
	}
}

// TestDNSFollowsCatalog: an instance that fails its checks leaves the
// answer, and comes back, as the catalog changes (the watch, not a TTL).
func TestDNSFollowsCatalog(t *testing.T) {
	src := newFakeSource()
	a, b := inst("default", "web", "10.0.0.1", 80, "passing"), inst("default", "web", "10.0.0.2", 80, "passing")
	src.set(a, b)
	s := startTestServer(t, src, Config{}, CacheConfig{})
	wait := func(want string) {
		t.Helper()
		poll.Until(t, 5*time.Second, "the A answer", func() (bool, string) {
			got := fmt.Sprint(answers(ask(t, s, "udp", "web.service.nomad", dns.TypeA, 3)))
			return got == want, "answer " + got + ", want " + want
		})
	}
	wait("[A 10.0.0.1 A 10.0.0.2]")
	b2 := *b
	b2.Status = nomadlike.ServiceStatusCritical
	src.set(a, &b2)
	wait("[A 10.0.0.1]")
	src.set(a, b)
	wait("[A 10.0.0.1 A 10.0.0.2]")
	src.set()
	poll.Until(t, 5*time.Second, "NXDOMAIN", func() (bool, string) {
		m := ask(t, s, "udp", "web.service.nomad", dns.TypeA, 4)
		return m.Rcode == dns.RcodeNameError, "rcode " + dns.RcodeToString[m.Rcode]
	})
}

// TestDNSOrderIsRandomPerQuery: different queries see different first
// instances; the same query (ID) sees the same order.
func TestDNSOrderIsRandomPerQuery(t *testing.T) {
	src := newFakeSource()
	var regs []*nomadlike.ServiceRegistration
	for i := 1; i <= 5; i++ {
		regs = append(regs, inst("default", "web", fmt.Sprintf("10.0.0.%d", i), 80, ""))
	}
	src.set(regs...)
	s := startTestServer(t, src, Config{}, CacheConfig{})
	firsts := map[string]bool{}
	for id := uint16(1); id <= 30; id++ {
		m := ask(t, s, "udp", "web.service.nomad", dns.TypeA, id)
		if len(m.Answer) != 5 {
			t.Fatalf("answer has %d records, want 5", len(m.Answer))
		}
		firsts[m.Answer[0].(*dns.A).A.String()] = true
		again := ask(t, s, "udp", "web.service.nomad", dns.TypeA, id)
		if again.Answer[0].String() != m.Answer[0].String() {
			t.Errorf("query %d gave two orders", id)
		}
	}
	if len(firsts) < 3 {
		t.Errorf("30 queries put only %v first, want a spread", firsts)
	}
}

// TestDNSBounds: answers too big for UDP are truncated (the client
// retries over TCP and gets them all), and the number of watched names is
// bounded (SERVFAIL past it, no new watch).
func TestDNSBounds(t *testing.T) {
	src := newFakeSource()
	var regs []*nomadlike.ServiceRegistration
	for i := range 60 {
		regs = append(regs, inst("default", "big", fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), 1000+i, ""))
	}
	src.set(regs...)
	s := startTestServer(t, src, Config{}, CacheConfig{MaxNames: 2})
	udp := ask(t, s, "udp", "big.service.nomad", dns.TypeSRV, 5)
	if !udp.Truncated || len(udp.Answer) >= 60 {
		t.Errorf("UDP answer: truncated %v, %d records; want truncated to 512 bytes", udp.Truncated, len(udp.Answer))
	}
	if tcp := ask(t, s, "tcp", "big.service.nomad", dns.TypeSRV, 5); tcp.Truncated || len(tcp.Answer) != 60 {
		t.Errorf("TCP answer: truncated %v, %d records; want 60", tcp.Truncated, len(tcp.Answer))
	}
	ask(t, s, "udp", "second.service.nomad", dns.TypeA, 6)
	if m := ask(t, s, "udp", "third.service.nomad", dns.TypeA, 7); m.Rcode != dns.RcodeServerFailure {
		t.Errorf("third name = %s, want SERVFAIL (2 names watched at most)", dns.RcodeToString[m.Rcode])
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"bad bind", Config{Bind: "localhost"}, false},
		{"bad port", Config{Port: 70000}, false},
		{"negative ttl", Config{TTL: -time.Second}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.setDefaults()
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate(%+v) = %v, want ok %v", tc.cfg, err, tc.ok)
			}
		})
	}
}
