package execinit

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFewDependencies: the init function of this package runs before the
// packages it does not depend on only as long as it depends on almost
// nothing (Go initializes packages in import-path order among those whose
// imports are done). A new dependency outside the standard library would
// put gRPC, protobuf and the containerd client back on every task's start.
func TestFewDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"golang.org/x/sys/unix":                                true,
		"github.com/nomadlike/nomadlike/plugins/exec/execinit": true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if !allowed[dep] {
			t.Errorf("execinit depends on %s; keep the task init to the standard library and x/sys/unix", dep)
		}
	}
}
