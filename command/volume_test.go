package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestVolumeCommandsNotSupported: Nomad's CSI-only volume commands, and
// -type csi, exit 1 and say what nomadlike has instead, without calling an
// agent.
func TestVolumeCommandsNotSupported(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"register", []string{"volume", "register", "vol.hcl"}, "nomadlike has no CSI volumes"},
		{"detach", []string{"volume", "detach", "abc", "node"}, "nomadlike has no CSI volumes"},
		{"status csi", []string{"volume", "status", "-type", "csi"}, `-type "csi" is not supported`},
		{"delete csi", []string{"volume", "delete", "-type", "csi", "abc"}, `-type "csi" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v = %d, stdout %q, stderr %q; want exit 1 and %q", tc.args, code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestParseVolumeSpec: Nomad's host volume specification decodes into the
// create request; a bad one fails naming file:line:col.
func TestParseVolumeSpec(t *testing.T) {
	good := `namespace = "default"
name      = "db"
type      = "host"
plugin_id = "mkdir"
node_pool = "prod"
node_id   = "abc"
capacity_min = "10MiB"
capacity_max = "1GB"
capability {
  access_mode     = "single-node-writer"
  attachment_mode = "file-system"
}
constraint {
  attribute = "${attr.kernel.name}"
  value     = "linux"
}
constraint {
  attribute = "${meta.rack}"
  operator  = "!="
  value     = "r1-${node.class}"
}
parameters {
  mode = "0750"
  uid  = 1000
  gid  = "1000"
}
`
	v, err := parseVolumeSpec("vol.hcl", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "db" || v.PluginID != "mkdir" || v.NodePool != "prod" || v.NodeID != "abc" ||
		v.RequestedCapacityMinBytes != 10<<20 || v.RequestedCapacityMaxBytes != 1e9 {
		t.Errorf("volume = %+v", v)
	}
	if len(v.Constraints) != 2 || v.Constraints[0].String() != "${attr.kernel.name} = linux" ||
		v.Constraints[1].String() != "${meta.rack} != r1-${node.class}" {
		t.Errorf("constraints = %v %v", v.Constraints[0], v.Constraints[1])
	}
	if v.Parameters["mode"] != "0750" || v.Parameters["uid"] != "1000" || v.Parameters["gid"] != "1000" {
		t.Errorf("parameters = %v", v.Parameters)
	}
	if len(v.RequestedCapabilities) != 1 || v.RequestedCapabilities[0].AccessMode != "single-node-writer" {
		t.Errorf("capabilities = %v", v.RequestedCapabilities)
	}
	if err := nomadlike.ValidateHostVolumeCreate(v); err != nil {
		t.Errorf("validate: %v", err)
	}

	for _, tc := range []struct {
		name, src, want string
	}{
		{"csi", "name = \"a\"\ntype = \"csi\"\n", `vol.hcl:2,8-13: type "csi" is not supported`},
		{"no name", "type = \"host\"\n", `vol.hcl:1,1`},
		{"bad capacity", "name = \"a\"\ntype = \"host\"\ncapacity_min = \"lots\"\n", `vol.hcl:3,16-22: capacity_min`},
		{"unknown attribute", "name = \"a\"\ntype = \"host\"\nsnapshot_id = \"x\"\n", `vol.hcl:3,1-12: Unsupported argument`},
		{"id", "name = \"a\"\ntype = \"host\"\nid = \"x\"\n", `vol.hcl:3,1-9: id: a host volume is created without an ID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseVolumeSpec("vol.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestVolumeCreateBadSpec: volume create refuses a spec the servers would
// refuse before calling any agent (there is none here), naming the file.
func TestVolumeCreateBadSpec(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "v.hcl")
	if err := os.WriteFile(spec, []byte("name = \"a\"\ntype = \"csi\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "volume", "create", spec)
	if code != 1 || stdout != "" || !strings.Contains(stderr, spec+":2,8-13") {
		t.Errorf("volume create = %d, %q, %q", code, stdout, stderr)
	}
}
