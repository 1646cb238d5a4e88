package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/miekg/dns"

	"github.com/nomadlike/nomadlike/nomadlike/connlimit"
)

// Server serves DNS over UDP and TCP on one address.
type Server struct {
	cfg    Config
	cache  *Cache
	log    hclog.Logger
	semCh  chan struct{}
	udp    *dns.Server
	tcp    *dns.Server
	addr   string
	closed sync.Once
}

// Start validates cfg, binds UDP and TCP on Bind:Port (the same port for
// both; Port -1 picks a free one) and serves answers from cache until
// Shutdown. The server does not own cache.
func Start(cfg Config, cache *Cache, logger hclog.Logger) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	s := &Server{cfg: cfg, cache: cache, log: logger.Named("dns"), semCh: make(chan struct{}, cfg.MaxInFlight)}
	pc, ln, err := listen(cfg.Bind, cfg.Port)
	if err != nil {
		return nil, err
	}
	s.addr = pc.LocalAddr().String()
	limited := connlimit.Wrap(ln, connlimit.Config{MaxConnsPerIP: cfg.MaxConnsPerIP, WriteStallTimeout: 5 * time.Second})
	s.udp = &dns.Server{PacketConn: pc, Handler: s, UDPSize: dns.DefaultMsgSize}
	s.tcp = &dns.Server{Listener: limited, Handler: s, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		IdleTimeout: func() time.Duration { return 10 * time.Second }, MaxTCPQueries: 128}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Debug("dns listener stopped", "error", err)
			}
		}()
	}
	s.log.Info("serving DNS", "address", s.addr, "domain", cfg.Domain)
	return s, nil
}

// listen binds UDP and TCP on the same port (a free one when port is -1).
func listen(bind string, port int) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		p := max(port, 0)
		pc, err := net.ListenPacket("udp", net.JoinHostPort(bind, strconv.Itoa(p)))
		if err != nil {
			return nil, nil, fmt.Errorf("client.dns: listen udp %s:%d: %w", bind, p, err)
		}
		p = pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(p)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != -1 || attempt >= 10 {
			return nil, nil, fmt.Errorf("client.dns: listen tcp %s:%d: %w", bind, p, err)
		}
	}
}

// Addr is the bound "host:port" (UDP and TCP).
func (s *Server) Addr() string { return s.addr }

// Shutdown stops both listeners.
func (s *Server) Shutdown() error {
	var errs []error
	s.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			if err := srv.ShutdownContext(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// ServeDNS answers one request (dns.Handler). Requests over MaxInFlight
// are dropped, as an overloaded resolver does; the client retries.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	select {
	case s.semCh <- struct{}{}:
		defer func() { <-s.semCh }()
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.LookupTimeout)
	defer cancel()
	m := s.answer(ctx, r)
	size := dns.MinMsgSize
	if w.LocalAddr().Network() == "tcp" {
		size = dns.MaxMsgSize
	} else if opt := r.IsEdns0(); opt != nil {
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), 4096)
	}
	m.Truncate(size)
	if err := w.WriteMsg(m); err != nil {
		s.log.Debug("write dns answer", "error", err)
	}
}
