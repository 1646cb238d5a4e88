package agent

import (
	"os"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/exec"
	"github.com/nomadlike/nomadlike/plugins/rawexec"
)

// TestMain lets the test binary serve the built-in drivers as plugin
// processes, as the nomadlike binary does with "driver NAME": the agents
// that run a client in these tests (acl_matrix_test.go) start their
// drivers from os.Executable(), which is this binary.
func TestMain(m *testing.M) {
	builtin := map[string]func(hclog.Logger) drivers.Driver{
		rawexec.Name:    func(l hclog.Logger) drivers.Driver { return rawexec.New(l) },
		exec.Name:       func(l hclog.Logger) drivers.Driver { return exec.New(l) },
		containerd.Name: func(l hclog.Logger) drivers.Driver { return containerd.New(l) },
	}
	if len(os.Args) == 3 && os.Args[1] == "driver" {
		if newDriver, ok := builtin[os.Args[2]]; ok {
			drivers.Serve(newDriver(drivers.NewPluginLogger(os.Args[2])))
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}
