package command

import (
	"strings"
	"testing"
)

// TestVolumeCommandsNotSupported: Nomad's volume commands exit 1 and say
// what nomadlike has instead.
func TestVolumeCommandsNotSupported(t *testing.T) {
	for _, args := range [][]string{
		{"volume", "create", "vol.hcl"},
		{"volume", "status"},
		{"volume", "delete", "-type", "host", "abc"},
	} {
		code, stdout, stderr := run(t, "", args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "nomadlike has no dynamic host volumes") ||
			!strings.Contains(stderr, `host_volume "NAME"`) {
			t.Errorf("%v = %d, stdout %q, stderr %q; want exit 1 and the explanation", args, code, stdout, stderr)
		}
	}
}
