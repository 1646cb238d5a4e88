package agent

import (
	"testing"
	"time"
)

func TestClientDNSConfig(t *testing.T) {
	cases := []configCase[DNSConfig]{
		{name: "off by default", src: `client { enabled = true }`},
		{name: "every setting", src: `client {
  dns {
    enabled = true
    bind    = "127.0.0.53"
    port    = 5353
    ttl     = "5s"
  }
}`, want: DNSConfig{Enabled: true, Bind: "127.0.0.53", Port: 5353, TTL: 5 * time.Second}},
		{name: "bad bind", src: `client {
  dns {
    bind = "localhost"
  }
}`, errText: "a.hcl:3:5: Invalid client.dns.bind"},
		{name: "bad port", src: `client {
  dns {
    port = 0
  }
}`, errText: "a.hcl:3:5: Invalid client.dns.port"},
		{name: "bad ttl", src: `client {
  dns {
    ttl = "forever"
  }
}`, errText: "a.hcl:3:5: Invalid client.dns.ttl"},
		{name: "unknown setting", src: `client {
  dns {
    domain = "consul"
  }
}`, errText: "a.hcl:3:5: Unsupported argument"},
	}
	runConfigTable(t, configTable[DNSConfig]{field: "Client.DNS", get: func(c *Config) DNSConfig { return c.Client.DNS }}, cases)
}
