package agent

import (
	"strings"
	"testing"
	"time"
)

func TestLimitsDefaultsAreNomads(t *testing.T) {
	l := DefaultConfig().Limits
	want := Limits{HTTPMaxConnsPerClient: 100, HTTPSHandshakeTimeout: 5 * time.Second,
		RPCMaxConnsPerClient: 100, RPCHandshakeTimeout: 5 * time.Second, HTTPBodyReadTimeout: 60 * time.Second}
	if l != want {
		t.Fatalf("DefaultConfig().Limits = %+v, want %+v", l, want)
	}
}

func TestParseLimits(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want func(*Limits)
		err  []string // all in the error; nil: no error
	}{
		{name: "all set", src: `limits {
  http_max_conns_per_client = 20
  https_handshake_timeout   = "2s"
  rpc_max_conns_per_client  = 30
  rpc_handshake_timeout     = "1s"
  http_body_read_timeout    = "3s"
}`, want: func(l *Limits) {
			*l = Limits{HTTPMaxConnsPerClient: 20, HTTPSHandshakeTimeout: 2 * time.Second,
				RPCMaxConnsPerClient: 30, RPCHandshakeTimeout: time.Second, HTTPBodyReadTimeout: 3 * time.Second}
		}},
		{name: "zero disables", src: `limits {
  http_max_conns_per_client = 0
  rpc_max_conns_per_client  = 0
  rpc_handshake_timeout     = "0"
  http_body_read_timeout    = "0s"
}`, want: func(l *Limits) {
			l.HTTPMaxConnsPerClient, l.RPCMaxConnsPerClient, l.RPCHandshakeTimeout, l.HTTPBodyReadTimeout = 0, 0, 0, 0
		}},
		{name: "unset keeps defaults", src: "limits {}\n", want: func(*Limits) {}},
		{name: "negative http conns", src: "limits {\n  http_max_conns_per_client = -1\n}\n",
			err: []string{"limits.hcl:2:", "http_max_conns_per_client", "-1"}},
		{name: "rpc conns under Nomad's floor", src: "limits {\n  rpc_max_conns_per_client = 25\n}\n",
			err: []string{"limits.hcl:2:", "rpc_max_conns_per_client", ">= 26"}},
		{name: "bad duration", src: "limits {\n  rpc_handshake_timeout = \"soon\"\n}\n",
			err: []string{"limits.hcl:2:", "rpc_handshake_timeout", `"soon"`}},
		{name: "negative duration", src: "limits {\n  http_body_read_timeout = \"-1s\"\n}\n",
			err: []string{"limits.hcl:2:", "http_body_read_timeout"}},
		{name: "unknown key", src: "limits {\n  http_max_conns = 1\n}\n",
			err: []string{"limits.hcl:2:", "http_max_conns"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "limits.hcl", []byte(tc.src))
			if tc.err != nil {
				if err == nil {
					t.Fatalf("ParseConfigFile = nil, want an error with %q", tc.err)
				}
				for _, w := range tc.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfigFile: %v", err)
			}
			want := DefaultLimits()
			tc.want(&want)
			if cfg.Limits != want {
				t.Fatalf("Limits = %+v, want %+v", cfg.Limits, want)
			}
		})
	}
}

func TestValidateLimits(t *testing.T) {
	cfg := DevConfig()
	cfg.Limits.RPCMaxConnsPerClient = 3
	cfg.Limits.RPCHandshakeTimeout = -time.Second
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "limits.rpc_max_conns_per_client") || !strings.Contains(err.Error(), "limits.rpc_handshake_timeout") {
		t.Fatalf("Validate = %v, want errors naming limits.rpc_max_conns_per_client and limits.rpc_handshake_timeout", err)
	}
}
