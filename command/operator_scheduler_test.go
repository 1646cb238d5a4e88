package command

import (
	"strings"
	"testing"
)

// TestOperatorSchedulerConfig: set-config changes what get-config shows;
// a stale -check-index and a bad algorithm are refused.
func TestOperatorSchedulerConfig(t *testing.T) {
	cl := newCluster(t)
	code, out, errOut := cl.cli(t, "", "operator scheduler get-config")
	if code != 0 {
		t.Fatalf("get-config = %d %q %q", code, out, errOut)
	}
	mustContain(t, "get-config", out, "Scheduler Algorithm = binpack", "Candidate Limit     = 64 (default)")
	code, out, errOut = cl.cli(t, "", "operator scheduler set-config", "-scheduler-algorithm", "spread", "-candidate-limit", "16")
	if code != 0 || !strings.Contains(out, "Scheduler configuration updated!") {
		t.Fatalf("set-config = %d %q %q", code, out, errOut)
	}
	_, out, _ = cl.cli(t, "", "operator scheduler get-config")
	mustContain(t, "get-config after set-config", out, "Scheduler Algorithm = spread", "Candidate Limit     = 16")

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"stale check-index", []string{"-scheduler-algorithm", "binpack", "-check-index", "1"}, "could not be atomically updated"},
		{"bad algorithm", []string{"-scheduler-algorithm", "random"}, `SchedulerAlgorithm: must be "binpack" or "spread"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cl.cli(t, "", "operator scheduler set-config", tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("set-config %v = %d %q %q, want an error containing %q", tc.args, code, out, errOut, tc.want)
			}
		})
	}
	_, out, _ = cl.cli(t, "", "operator scheduler get-config")
	mustContain(t, "get-config after refused changes", out, "Scheduler Algorithm = spread")
}
