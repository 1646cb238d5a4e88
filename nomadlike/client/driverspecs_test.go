package client

import (
	"encoding/json"
	"net"
	"path/filepath"
	"reflect"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
)

// TestDriverSpecs: which built-in drivers get a plugin process.
func TestDriverSpecs(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "containerd.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	missing := filepath.Join(dir, "missing.sock")

	cases := []struct {
		name    string
		plugins map[string]json.RawMessage
		socket  string
		want    []string
	}{
		{"defaults, no daemon", nil, missing, []string{"exec"}},
		{"raw_exec enabled", map[string]json.RawMessage{"raw_exec": json.RawMessage(`{"enabled":true}`)}, missing, []string{"exec", "raw_exec"}},
		{"daemon at the default socket", nil, sock, []string{"exec", "containerd"}},
		{"containerd configured", map[string]json.RawMessage{"containerd": json.RawMessage(`{"address":"/x.sock"}`)}, missing, []string{"exec", "containerd"}},
		{"containerd empty block", map[string]json.RawMessage{"containerd": nil}, missing, []string{"exec", "containerd"}},
		{"containerd disabled", map[string]json.RawMessage{"containerd": json.RawMessage(`{"enabled":false}`)}, sock, []string{"exec"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := containerdSocket
			containerdSocket = tc.socket
			defer func() { containerdSocket = old }()
			cfg := Config{Plugins: tc.plugins, DriverBinary: "/bin/nomadlike"}
			cfg.setDefaults()
			c := &Client{cfg: cfg, logger: hclog.NewNullLogger()}
			specs, err := c.driverSpecs()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range specs {
				got = append(got, s.Name)
				if s.Command != "/bin/nomadlike" || !reflect.DeepEqual(s.Args, []string{"driver", s.Name}) {
					t.Errorf("spec %s = %s %v, want the binary with driver %s", s.Name, s.Command, s.Args, s.Name)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("driverSpecs() = %v, want %v", got, tc.want)
			}
		})
	}
}
