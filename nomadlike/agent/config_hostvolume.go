package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Host volumes (issue #17): Nomad's client { host_volume "NAME" { path,
// read_only } } blocks. The client fingerprints them into Node.HostVolumes;
// jobs claim them with a group volume block of type "host".

// fileHostVolume is one client { host_volume "NAME" { } } block.
type fileHostVolume struct {
	Name          string    `hcl:"name,label"`
	NameRange     hcl.Range `hcl:"name,label_range"`
	DefRange      hcl.Range `hcl:",def_range"`
	Path          *string   `hcl:"path,optional"`
	PathRange     hcl.Range `hcl:"path,attr_range"`
	ReadOnly      *bool     `hcl:"read_only,optional"`
	ReadOnlyRange hcl.Range `hcl:"read_only,attr_range"`
}

// applyHostVolumes adds the file's host_volume blocks to dst.HostVolumes;
// a later file's block replaces an earlier one of the same name. The path
// must be absolute and exist on this host.
func applyHostVolumes(dst *ClientConfig, blocks []*fileHostVolume) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, b := range blocks {
		switch {
		case b.Name == "" || strings.ContainsAny(b.Name, "\x00\n\r\t"):
			diags = append(diags, diagAt(b.NameRange, "Invalid client.host_volume name", fmt.Sprintf("%q: a host volume needs a non-empty name without control characters.", b.Name)))
			continue
		case seen[b.Name]:
			diags = append(diags, diagAt(b.NameRange, "Duplicate client.host_volume", fmt.Sprintf("This file already has a host_volume %q.", b.Name)))
			continue
		}
		seen[b.Name] = true
		if b.Path == nil || *b.Path == "" {
			diags = append(diags, diagAt(b.DefRange, "Missing client.host_volume.path", fmt.Sprintf("host_volume %q needs path, the host directory it shares.", b.Name)))
			continue
		}
		if d := checkHostVolumePath(*b.Path, b.PathRange, b.Name); d != nil {
			diags = append(diags, d)
			continue
		}
		if dst.HostVolumes == nil {
			dst.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{}
		}
		hv := &nomadlike.ClientHostVolumeConfig{Name: b.Name, Path: filepath.Clean(*b.Path)}
		if b.ReadOnly != nil {
			hv.ReadOnly = *b.ReadOnly
		}
		dst.HostVolumes[b.Name] = hv
	}
	return diags
}

func checkHostVolumePath(p string, rng hcl.Range, name string) *hcl.Diagnostic {
	const summary = "Invalid client.host_volume.path"
	if !filepath.IsAbs(p) {
		return diagAt(rng, summary, fmt.Sprintf("host_volume %q: path %q must be absolute.", name, p))
	}
	if _, err := os.Stat(p); err != nil {
		return diagAt(rng, summary, fmt.Sprintf("host_volume %q: path %q must exist on this host: %v.", name, p, err))
	}
	return nil
}

// applyHostVolumesDir sets client { host_volumes_dir }, which must be an
// absolute path (it is created when the first volume is).
func applyHostVolumesDir(dst *ClientConfig, dir *string, rng hcl.Range) hcl.Diagnostics {
	if dir == nil {
		return nil
	}
	if !filepath.IsAbs(*dir) || strings.ContainsRune(*dir, 0) {
		return hcl.Diagnostics{diagAt(rng, "Invalid client.host_volumes_dir", fmt.Sprintf("%q is not an absolute path.", *dir))}
	}
	dst.HostVolumesDir = filepath.Clean(*dir)
	return nil
}
