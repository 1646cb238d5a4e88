package dns

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// BenchmarkDNSQuerySRV: one UDP SRV query of a 10-instance service,
// answered from the cache (the watch already has the service).
func BenchmarkDNSQuerySRV(b *testing.B) {
	src := newFakeSource()
	var regs []*nomadlike.ServiceRegistration
	for i := range 10 {
		regs = append(regs, inst("default", "web", fmt.Sprintf("10.0.0.%d", i+1), 8000+i, ""))
	}
	src.set(regs...)
	cache := NewCache(src, CacheConfig{})
	defer cache.Close()
	s, err := Start(Config{Bind: "127.0.0.1", Port: -1}, cache, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown()
	c := &dns.Client{Net: "udp"}
	q := new(dns.Msg)
	q.SetQuestion("web.service.nomad.", dns.TypeSRV)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q.Id = uint16(i)
		in, _, err := c.Exchange(q, s.Addr())
		if err != nil || len(in.Answer) != 10 {
			b.Fatalf("exchange: %v, %d answers", err, len(in.Answer))
		}
	}
}
