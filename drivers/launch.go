package drivers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// PluginSpec says how to start a driver plugin process.
type PluginSpec struct {
	// Name is the driver's name, used in logs.
	Name string
	// Command is the plugin executable; Args are its arguments.
	Command string
	Args    []string
	// Env is added to the host's environment (and wins over it).
	Env []string
}

// ReattachConfig is what a client agent persists to reconnect to a running
// plugin process after it restarts. It is JSON-serializable.
type ReattachConfig struct {
	Protocol string `json:"Protocol"`
	Network  string `json:"Network"`
	Addr     string `json:"Addr"`
	Pid      int    `json:"Pid"`
}

// Plugin is a connection to a driver plugin process. Its methods are safe
// for concurrent use.
type Plugin struct {
	name   string
	client *plugin.Client
	driver *grpcClient
}

// Launch starts a driver plugin process and connects to it. The process is
// not managed: it outlives the host unless Kill is called, so tasks survive
// an agent restart.
func Launch(spec PluginSpec, logger hclog.Logger) (*Plugin, error) {
	if spec.Command == "" {
		return nil, fmt.Errorf("launch driver plugin %q: command: required", spec.Name)
	}
	logger = pluginLogger(spec.Name, logger)
	cmd := exec.Command(spec.Command, spec.Args...)
	env := append(os.Environ(), LogLevelEnv+"="+levelName(logger))
	cmd.Env = append(env, spec.Env...)
	// Its own session: a signal to the agent's terminal or process group is
	// not a signal to the plugin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}

	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          hostPlugins(spec.Name),
		Cmd:              cmd,
		SkipHostEnv:      true, // cmd.Env already holds it, with spec.Env winning
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          false,
		StartTimeout:     30 * time.Second,
		Logger:           logger,
	})
	p, err := connect(spec.Name, client)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("launch driver plugin %q (%s): %w", spec.Name, spec.Command, err)
	}
	return p, nil
}

// Reattach connects to a plugin process started by an earlier agent, from
// the ReattachConfig that Plugin.ReattachConfig returned then.
func Reattach(name string, rc ReattachConfig, logger hclog.Logger) (*Plugin, error) {
	addr, err := rc.netAddr()
	if err != nil {
		return nil, fmt.Errorf("reattach driver plugin %q: %w", name, err)
	}
	if rc.Pid <= 0 {
		return nil, fmt.Errorf("reattach driver plugin %q: pid: must be positive, got %d", name, rc.Pid)
	}
	if err := syscall.Kill(rc.Pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil, fmt.Errorf("reattach driver plugin %q: process %d: %w", name, rc.Pid, err)
	}
	protocol := plugin.Protocol(rc.Protocol)
	if protocol == "" {
		protocol = plugin.ProtocolGRPC
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          hostPlugins(name),
		Reattach:         &plugin.ReattachConfig{Protocol: protocol, Addr: addr, Pid: rc.Pid},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          false,
		Logger:           pluginLogger(name, logger),
	})
	p, err := connect(name, client)
	if err != nil {
		return nil, fmt.Errorf("reattach driver plugin %q at %s %s: %w", name, rc.Network, rc.Addr, err)
	}
	return p, nil
}

func (rc ReattachConfig) netAddr() (net.Addr, error) {
	switch rc.Network {
	case "unix":
		if rc.Addr == "" {
			return nil, errors.New("addr: required")
		}
		return &net.UnixAddr{Name: rc.Addr, Net: "unix"}, nil
	case "tcp":
		a, err := net.ResolveTCPAddr("tcp", rc.Addr)
		if err != nil {
			return nil, fmt.Errorf("addr: %w", err)
		}
		return a, nil
	default:
		return nil, fmt.Errorf("network: %q is not unix or tcp", rc.Network)
	}
}

func hostPlugins(name string) plugin.PluginSet {
	return plugin.PluginSet{pluginName: &grpcPlugin{name: name}}
}

func pluginLogger(name string, logger hclog.Logger) hclog.Logger {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return logger.Named("driver").Named(name)
}

func levelName(logger hclog.Logger) string {
	switch {
	case logger.IsTrace():
		return "trace"
	case logger.IsDebug():
		return "debug"
	case logger.IsInfo():
		return "info"
	case logger.IsWarn():
		return "warn"
	default:
		return "error"
	}
}

// connect starts (or reattaches) the go-plugin client and dispenses the driver.
func connect(name string, client *plugin.Client) (*Plugin, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense: %w", err)
	}
	d, ok := raw.(*grpcClient)
	if !ok {
		return nil, fmt.Errorf("dispense: unexpected plugin type %T", raw)
	}
	return &Plugin{name: name, client: client, driver: d}, nil
}

// Driver returns the plugin's driver. It also implements Signaler and
// Execer, which return ErrNotSupported when the plugin's driver does not.
// Calls fail with ErrPluginUnavailable once the plugin process is gone.
func (p *Plugin) Driver() Driver { return p.driver }

// ReattachConfig returns what Reattach needs to reconnect to this process.
func (p *Plugin) ReattachConfig() ReattachConfig {
	rc := p.client.ReattachConfig()
	if rc == nil {
		return ReattachConfig{}
	}
	out := ReattachConfig{Protocol: string(rc.Protocol), Pid: rc.Pid}
	if rc.Addr != nil {
		out.Network = rc.Addr.Network()
		out.Addr = rc.Addr.String()
	}
	return out
}

// Exited reports whether the plugin process has exited. For a reattached
// process this is noticed by polling, within about a second.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Kill asks the plugin process to exit, and kills it if it has not after a
// grace period. Tasks the driver started keep running.
func (p *Plugin) Kill() { p.client.Kill() }

// Disconnect drops the connection and leaves the plugin process running, as
// an agent does on shutdown; a later Reattach reconnects.
func (p *Plugin) Disconnect() {
	rpc, err := p.client.Client()
	if err != nil {
		return
	}
	// GRPCClient.Close would also ask the plugin to shut down; only the
	// connection is closed here.
	if gc, ok := rpc.(*plugin.GRPCClient); ok && gc.Conn != nil {
		_ = gc.Conn.Close()
	}
}

// DiscoverPlugins lists the driver plugins in dir: every executable regular
// file (or symlink to one) whose name does not start with a dot, as name (the
// file name) -> absolute path. A missing dir is an error wrapping
// fs.ErrNotExist.
func DiscoverPlugins(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin_dir %q: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin_dir %q: %w", dir, err)
	}
	out := make(map[string]string)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(abs, name)
		fi, err := os.Stat(path) // follows symlinks
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		out[name] = path
	}
	return out, nil
}
