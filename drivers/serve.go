package drivers

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// NewPluginLogger returns the logger a driver plugin process should use: JSON
// lines on stderr, which the host's go-plugin client parses into its own log,
// at the level the host passed in LogLevelEnv (info when unset).
func NewPluginLogger(name string) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Serve serves d as a driver plugin over gRPC and returns when the host asks
// the plugin to shut down (Plugin.Kill). Call it from a plugin's main:
//
//	func main() { drivers.Serve(mydriver.New(drivers.NewPluginLogger("mydriver"))) }
//
// The plugin process outlives its host: when the client agent dies, its
// tasks keep running and the next agent reattaches to this process. So Serve
// catches SIGPIPE (writes to the dead host's stdio pipes then fail with
// EPIPE instead of killing the process) and SIGHUP. It catches rather than
// ignores them because ignored signals stay ignored in the tasks the driver
// starts, while caught ones are reset to the default in a child.
// go-plugin itself swallows SIGINT.
//
// A plugin process with no task and no host connected for the orphan
// grace (OrphanGraceEnv, DefaultOrphanGrace) exits: its agent was killed
// and did not come back. One with tasks keeps them for the next agent.
func Serve(d Driver) {
	sigCh := make(chan os.Signal, 8)
	signal.Notify(sigCh, syscall.SIGPIPE, syscall.SIGHUP)
	go func() {
		for range sigCh {
		}
	}()

	logger := NewPluginLogger("plugin")
	live := newLiveness(time.Now())
	go watchOrphaned(live, orphanGrace(logger), logger, func() { os.Exit(0) })
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{pluginName: &grpcPlugin{impl: d, live: live}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return plugin.DefaultGRPCServer(append(opts, grpc.StatsHandler(live)))
		},
		Logger: logger,
	})
}
