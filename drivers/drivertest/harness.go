package drivertest

import (
	"encoding/json"
	"os"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// Harness says how to run a driver under the suite.
type Harness struct {
	// Plugin launches the driver as a plugin process.
	Plugin drivers.PluginSpec
	// PluginConfig is a plugin block config (JSON) under which the driver is
	// healthy and runs tasks.
	PluginConfig json.RawMessage
	// ShellTask returns a valid task config (JSON) that runs script with
	// /bin/sh -c in the task's directory, with the task's environment.
	ShellTask func(script string) json.RawMessage
	// BadConfig is an invalid task config; the error must name BadField
	// (for example "config.comand").
	BadConfig json.RawMessage
	BadField  string
	// Skip names cases this driver cannot pass, with the reason, e.g.
	// {"recover": "no recovery yet"}. Skips are reported, not hidden.
	Skip map[string]string
}

// serveEnv tells a test binary started by SelfPlugin to serve its driver.
const serveEnv = "NOMADLIKE_DRIVERTEST_SERVE"

// SelfPlugin is a PluginSpec that runs the current test binary as the
// driver plugin; the test's TestMain must call ServeIfPlugin first.
func SelfPlugin(name string) drivers.PluginSpec {
	return drivers.PluginSpec{
		Name:    name,
		Command: os.Args[0],
		Args:    []string{"-test.run=^$"},
		Env:     []string{serveEnv + "=" + name},
	}
}

// ServeIfPlugin serves the driver built by newDriver and exits when this
// process was started by SelfPlugin; otherwise it returns at once. Call it
// first thing in TestMain.
func ServeIfPlugin(newDriver func(hclog.Logger) drivers.Driver) {
	name := os.Getenv(serveEnv)
	if name == "" {
		return
	}
	drivers.Serve(newDriver(drivers.NewPluginLogger(name)))
	os.Exit(0)
}
