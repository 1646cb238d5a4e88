package drivermanager

import (
	"encoding/json"
	"fmt"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// Plugin is a connection to a running driver.
type Plugin interface {
	Driver() drivers.Driver
	// ReattachConfig is what Launcher.Reattach needs to reconnect later;
	// nil when the plugin cannot be reattached.
	ReattachConfig() json.RawMessage
	// Exited reports whether the plugin process is gone.
	Exited() bool
	// Kill stops the plugin process; Disconnect leaves it running.
	Kill()
	Disconnect()
}

// Launcher starts driver plugins and reconnects to running ones.
type Launcher interface {
	Launch(spec drivers.PluginSpec) (Plugin, error)
	Reattach(name string, reattach json.RawMessage) (Plugin, error)
}

// GoPlugin launches real plugin processes through drivers.Launch.
type GoPlugin struct {
	Logger hclog.Logger
}

// Launch implements Launcher.
func (g GoPlugin) Launch(spec drivers.PluginSpec) (Plugin, error) {
	adoptOrphans(g.logger())
	p, err := drivers.Launch(spec, g.Logger)
	if err != nil {
		return nil, err
	}
	return goPlugin{p}, nil
}

func (g GoPlugin) logger() hclog.Logger {
	if g.Logger == nil {
		return hclog.NewNullLogger()
	}
	return g.Logger
}

// Reattach implements Launcher.
func (g GoPlugin) Reattach(name string, reattach json.RawMessage) (Plugin, error) {
	var rc drivers.ReattachConfig
	if err := json.Unmarshal(reattach, &rc); err != nil {
		return nil, fmt.Errorf("decode reattach config of %q: %w", name, err)
	}
	p, err := drivers.Reattach(name, rc, g.Logger)
	if err != nil {
		return nil, err
	}
	return goPlugin{p}, nil
}

type goPlugin struct{ p *drivers.Plugin }

func (g goPlugin) Driver() drivers.Driver { return g.p.Driver() }
func (g goPlugin) Exited() bool           { return g.p.Exited() }
func (g goPlugin) Kill()                  { g.p.Kill() }
func (g goPlugin) Disconnect()            { g.p.Disconnect() }
func (g goPlugin) ReattachConfig() json.RawMessage {
	rc := g.p.ReattachConfig()
	if rc.Pid == 0 {
		return nil
	}
	b, _ := json.Marshal(rc)
	return b
}
