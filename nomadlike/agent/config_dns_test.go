package agent

import (
	"strings"
	"testing"
	"time"
)

func TestClientDNSConfig(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		want    DNSConfig
		errText string // substring of the positioned error
	}{
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
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "a.hcl", []byte(tc.src))
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("ParseConfigFile() error = %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfigFile() error = %v", err)
			}
			if cfg.Client.DNS != tc.want {
				t.Errorf("Client.DNS = %+v, want %+v", cfg.Client.DNS, tc.want)
			}
		})
	}
}
