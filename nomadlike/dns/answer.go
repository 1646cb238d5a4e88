package dns

import (
	"context"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"strings"

	"github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// maxAnswers bounds the instances in one answer (before truncation).
const maxAnswers = 64

// query is a parsed question in the zone.
type query struct {
	ns, service string // a service name
	addr        net.IP // an ADDR.addr.DOMAIN name (an SRV target)
}

// parseName splits a lower-cased, fully qualified name of the zone:
// NAME.service.DOMAIN., NAME.service.NS.DOMAIN., or HEX.addr.DOMAIN.
// ok is false for a name outside the zone; a name in the zone that is none
// of these is a query with neither field set.
func parseName(name, domain string) (q query, ok bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	suffix := "." + domain
	if name == domain {
		return query{}, true
	}
	if !strings.HasSuffix(name, suffix) {
		return query{}, false
	}
	labels := strings.Split(strings.TrimSuffix(name, suffix), ".")
	switch {
	case len(labels) == 2 && labels[1] == "service":
		return query{ns: nomadlike.DefaultNamespace, service: labels[0]}, true
	case len(labels) == 3 && labels[1] == "service":
		return query{ns: labels[2], service: labels[0]}, true
	case len(labels) == 2 && labels[1] == "addr":
		return query{addr: decodeAddr(labels[0])}, true
	}
	return query{}, true
}

// addrLabel encodes an IP as one DNS label: the hex of its bytes (4 for
// IPv4, 16 for IPv6), as Consul's .addr. names.
func addrLabel(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, len(ip)*2)
	for _, x := range ip {
		b = append(b, hexd[x>>4], hexd[x&15])
	}
	return string(b)
}

func decodeAddr(label string) net.IP {
	if len(label) != 8 && len(label) != 32 {
		return nil
	}
	ip := make(net.IP, len(label)/2)
	for i := range ip {
		hi, lo := unhex(label[2*i]), unhex(label[2*i+1])
		if hi < 0 || lo < 0 {
			return nil
		}
		ip[i] = byte(hi<<4 | lo)
	}
	return ip
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// answer builds the reply to r.
func (s *Server) answer(ctx context.Context, r *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.RecursionAvailable = false
	if r.Opcode != dns.OpcodeQuery {
		m.SetRcode(r, dns.RcodeNotImplemented)
		return m
	}
	if len(r.Question) != 1 {
		m.SetRcode(r, dns.RcodeFormatError)
		return m
	}
	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(min(max(opt.UDPSize(), dns.MinMsgSize), 4096), false)
	}
	qst := r.Question[0]
	q, ok := parseName(qst.Name, s.cfg.Domain)
	if !ok || qst.Qclass != dns.ClassINET {
		m.SetRcode(r, dns.RcodeRefused)
		return m
	}
	ttl := uint32(s.cfg.TTL.Seconds())
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: qst.Name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	switch {
	case q.addr != nil:
		if rr := addrRR(hdr, q.addr, qst.Qtype); rr != nil {
			m.Answer = append(m.Answer, rr)
		}
		return m
	case q.service == "":
		m.SetRcode(r, dns.RcodeNameError)
		return m
	}
	regs, err := s.cache.Lookup(ctx, q.ns, q.service)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Debug("dns lookup", "service", q.service, "namespace", q.ns, "error", err)
		}
		m.SetRcode(r, dns.RcodeServerFailure)
		return m
	}
	if len(regs) == 0 {
		m.SetRcode(r, dns.RcodeNameError)
		return m
	}
	regs = shuffled(regs, r)
	for _, reg := range regs {
		ip := net.ParseIP(reg.Address)
		switch qst.Qtype {
		case dns.TypeA, dns.TypeAAAA, dns.TypeANY:
			if rr := addrRR(hdr, ip, qst.Qtype); rr != nil {
				m.Answer = append(m.Answer, rr)
			}
		}
		switch qst.Qtype {
		case dns.TypeSRV, dns.TypeANY:
			if ip == nil || reg.Port <= 0 {
				continue
			}
			target := addrLabel(ip) + ".addr." + s.cfg.Domain + "."
			m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: 1, Weight: 1, Port: uint16(reg.Port), Target: target})
			th := dns.RR_Header{Name: target, Class: dns.ClassINET, Ttl: ttl}
			if extra := addrRR(func(t uint16) dns.RR_Header { th.Rrtype = t; return th }, ip, dns.TypeANY); extra != nil {
				m.Extra = append(m.Extra, extra)
			}
		}
	}
	return m
}

// addrRR is the A (IPv4) or AAAA (IPv6) record of ip when qtype asks for
// it (ANY asks for both), else nil.
func addrRR(hdr func(uint16) dns.RR_Header, ip net.IP, qtype uint16) dns.RR {
	if ip == nil {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		if qtype == dns.TypeA || qtype == dns.TypeANY {
			return &dns.A{Hdr: hdr(dns.TypeA), A: v4}
		}
		return nil
	}
	if qtype == dns.TypeAAAA || qtype == dns.TypeANY {
		return &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip}
	}
	return nil
}

// shuffled returns up to maxAnswers instances in a random order seeded
// from the query (its ID and name), so each query gets its own order and
// a replayed query the same one.
func shuffled(regs []*nomadlike.ServiceRegistration, r *dns.Msg) []*nomadlike.ServiceRegistration {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(r.Question[0].Name)))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(r.Id)))
	out := make([]*nomadlike.ServiceRegistration, len(regs))
	copy(out, regs)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if len(out) > maxAnswers {
		out = out[:maxAnswers]
	}
	return out
}
