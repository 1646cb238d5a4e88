package agent

import (
	"fmt"
	"net"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike/client"
	"github.com/nomadlike/nomadlike/nomadlike/dns"
)

// The client's DNS interface (nomadlike's; nomadlike/dns):
//
//	client {
//	  dns {
//	    enabled = true         # default false
//	    bind    = "127.0.0.1"  # default 127.0.0.1
//	    port    = 8600         # default 8600, UDP and TCP
//	    ttl     = "0s"         # default 0s (answers are not cached)
//	  }
//	}

// DNSConfig is the client { dns { } } block.
type DNSConfig struct {
	Enabled bool
	Bind    string
	Port    int
	TTL     time.Duration
}

type fileDNS struct {
	Enabled   *bool     `hcl:"enabled,optional"`
	Bind      *string   `hcl:"bind,optional"`
	BindRange hcl.Range `hcl:"bind,attr_range"`
	Port      *int      `hcl:"port,optional"`
	PortRange hcl.Range `hcl:"port,attr_range"`
	TTL       *string   `hcl:"ttl,optional"`
	TTLRange  hcl.Range `hcl:"ttl,attr_range"`
}

func applyClientDNS(dst *ClientConfig, f *fileDNS) hcl.Diagnostics {
	if f == nil {
		return nil
	}
	var diags hcl.Diagnostics
	d := &dst.DNS
	if f.Enabled != nil {
		d.Enabled = *f.Enabled
	}
	if f.Bind != nil {
		if net.ParseIP(*f.Bind) == nil {
			diags = append(diags, diagAt(f.BindRange, "Invalid client.dns.bind", fmt.Sprintf("%q is not an IP address.", *f.Bind)))
		} else {
			d.Bind = *f.Bind
		}
	}
	if f.Port != nil {
		if *f.Port < 1 || *f.Port > 65535 {
			diags = append(diags, diagAt(f.PortRange, "Invalid client.dns.port", fmt.Sprintf("Must be a port from 1 to 65535, got %d.", *f.Port)))
		} else {
			d.Port = *f.Port
		}
	}
	if f.TTL != nil {
		ttl, err := time.ParseDuration(*f.TTL)
		if err != nil || ttl < 0 || ttl > 24*time.Hour {
			diags = append(diags, diagAt(f.TTLRange, "Invalid client.dns.ttl", fmt.Sprintf("%q is not a duration from \"0s\" to \"24h\".", *f.TTL)))
		} else {
			d.TTL = ttl
		}
	}
	return diags
}

// dnsClient is the client role with its DNS interface: the interface
// starts with the client and stops before it.
type dnsClient struct {
	*client.Client
	cfg    dns.Config
	logger hclog.Logger
	cache  *dns.Cache
	srv    *dns.Server
}

// withDNS wraps cl with the DNS interface when client.dns.enabled.
func withDNS(cl *client.Client, c DNSConfig, logger hclog.Logger) clientRole {
	if !c.Enabled {
		return cl
	}
	return &dnsClient{Client: cl, logger: logger, cfg: dns.Config{Bind: c.Bind, Port: c.Port, TTL: c.TTL}}
}

func (d *dnsClient) Start() error {
	if err := d.Client.Start(); err != nil {
		return err
	}
	d.cache = dns.NewCache(dns.SourceFunc(d.Client.ServiceInstances), dns.CacheConfig{})
	srv, err := dns.Start(d.cfg, d.cache, d.logger)
	if err != nil {
		d.cache.Close()
		return err
	}
	d.srv = srv
	return nil
}

func (d *dnsClient) Shutdown() error {
	if d.srv != nil {
		if err := d.srv.Shutdown(); err != nil {
			d.logger.Warn("stop the DNS interface", "error", err)
		}
		d.cache.Close()
	}
	return d.Client.Shutdown()
}

// DNSAddr is the DNS interface's bound address ("" when off).
func (d *dnsClient) DNSAddr() string {
	if d.srv == nil {
		return ""
	}
	return d.srv.Addr()
}
