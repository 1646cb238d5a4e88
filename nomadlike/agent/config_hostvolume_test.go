package agent

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestHostVolumeConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []configCase[map[string]*nomadlike.ClientHostVolumeConfig]{
		{name: "none", src: `client { enabled = true }`},
		{name: "two volumes", src: fmt.Sprintf(`client {
  host_volume "data" {
    path = %q
  }
  host_volume "certs" {
    path      = "%s/"
    read_only = true
  }
}`, dir, dir), want: map[string]*nomadlike.ClientHostVolumeConfig{
			"data":  {Name: "data", Path: dir},
			"certs": {Name: "certs", Path: dir, ReadOnly: true},
		}},
		{name: "relative path", src: `client {
  host_volume "data" {
    path = "srv/data"
  }
}`, errText: `a.hcl:3:5: Invalid client.host_volume.path: host_volume "data": path "srv/data" must be absolute`},
		{name: "missing path", src: `client {
  host_volume "data" {
    path = "/nonexistent/nomadlike-volume"
  }
}`, errText: `a.hcl:3:5: Invalid client.host_volume.path: host_volume "data": path "/nonexistent/nomadlike-volume" must exist`},
		{name: "no path", src: `client {
  host_volume "data" {
    read_only = true
  }
}`, errText: "a.hcl:2:3: Missing client.host_volume.path"},
		{name: "duplicate", src: fmt.Sprintf(`client {
  host_volume "data" {
    path = %q
  }
  host_volume "data" {
    path = %q
  }
}`, dir, dir), errText: "a.hcl:5:15: Duplicate client.host_volume"},
		{name: "unknown setting", src: fmt.Sprintf(`client {
  host_volume "data" {
    path  = %q
    owner = "root"
  }
}`, dir), errText: "a.hcl:4:5: Unsupported argument"},
	}
	runConfigTable(t, configTable[map[string]*nomadlike.ClientHostVolumeConfig]{
		field: "Client.HostVolumes",
		get:   func(c *Config) map[string]*nomadlike.ClientHostVolumeConfig { return c.Client.HostVolumes },
		check: func(t *testing.T, cfg *Config) {
			for _, w := range cfg.Client.Warnings {
				if strings.Contains(w, "host_volume") {
					t.Errorf("warning about a setting that works: %s", w)
				}
			}
		},
	}, cases)
}
