package command

import (
	"fmt"
	"sort"
	"strings"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/exec"
	"github.com/nomadlike/nomadlike/plugins/rawexec"
)

// BuiltinDrivers are the drivers compiled into this binary, by name. The
// client agent fingerprints them in its own process and starts each as a
// plugin process (this binary with the arguments "driver NAME") when a task
// first needs it. Add a built-in driver with one line here.
var BuiltinDrivers = map[string]func(hclog.Logger) drivers.Driver{
	rawexec.Name:    func(l hclog.Logger) drivers.Driver { return rawexec.New(l) },
	containerd.Name: func(l hclog.Logger) drivers.Driver { return containerd.New(l) },
	exec.Name:       func(l hclog.Logger) drivers.Driver { return exec.New(l) },
}

// BuiltinDriverNames returns the built-in drivers' names, sorted.
func BuiltinDriverNames() []string {
	names := make([]string, 0, len(BuiltinDrivers))
	for n := range BuiltinDrivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// driverCommand is the hidden "driver NAME" command: it serves a built-in
// driver as a go-plugin process and returns when the agent tells it to.
func driverCommand() *cli.Command {
	return &cli.Command{
		Name:      "driver",
		Usage:     "Serve a built-in driver plugin (started by the client agent)",
		ArgsUsage: "NAME",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return userError("driver: exactly one driver name expected (one of %s)", strings.Join(BuiltinDriverNames(), ", "))
			}
			name := c.Args().First()
			newDriver, ok := BuiltinDrivers[name]
			if !ok {
				return userError("driver: unknown built-in driver %q (one of %s)", name, strings.Join(BuiltinDriverNames(), ", "))
			}
			drivers.Serve(newDriver(drivers.NewPluginLogger(name)))
			return nil
		},
	}
}

// BuiltinDriverSpec is how to launch a built-in driver as a plugin from
// this binary at path (os.Executable()).
func BuiltinDriverSpec(path, name string) (drivers.PluginSpec, error) {
	if _, ok := BuiltinDrivers[name]; !ok {
		return drivers.PluginSpec{}, fmt.Errorf("driver %q: not a built-in driver", name)
	}
	return drivers.PluginSpec{Name: name, Command: path, Args: []string{"driver", name}}, nil
}
