package hostvolumes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Load reads the node's ready dynamic volumes (by name) that Save wrote
// to path; a missing file is none.
func Load(path string) (map[string]*nomadlike.ClientHostVolumeConfig, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*nomadlike.ClientHostVolumeConfig{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]*nomadlike.ClientHostVolumeConfig{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for name, v := range out {
		if v == nil || v.ID == "" || !filepath.IsAbs(v.Path) {
			delete(out, name)
		}
	}
	return out, nil
}

// Save writes vols to path (mode 0600) through a temporary file and a
// rename, so a crash leaves the old or the new list.
func Save(path string, vols map[string]*nomadlike.ClientHostVolumeConfig) error {
	b, err := json.Marshal(vols)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
