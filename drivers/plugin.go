package drivers

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/nomadlike/nomadlike/drivers/proto"
)

// Handshake is what a client agent and a driver plugin check before they
// talk: a plugin started without the cookie refuses to run, and a plugin of
// another protocol version is rejected.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "NOMADLIKE_DRIVER_PLUGIN",
	MagicCookieValue: "c2f0b6a4e1d94f7b8a3e5d6c7b8a9f01-task-driver",
}

// pluginName is the single plugin every driver binary dispenses.
const pluginName = "driver"

// LogLevelEnv is the environment variable through which Launch passes the
// host's log level to the plugin process (see NewPluginLogger).
const LogLevelEnv = "NOMADLIKE_PLUGIN_LOG_LEVEL"

// grpcPlugin is the go-plugin glue: it registers a Driver's gRPC server in
// the plugin process and builds the Driver client in the host.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Driver    // nil on the host side
	live *liveness // plugin side, nil in tests that serve without Serve
	name string    // plugin name, host side
}

var _ plugin.GRPCPlugin = (*grpcPlugin)(nil)

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterDriverServer(s, &grpcServer{impl: p.impl, live: p.live})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{name: p.name, client: proto.NewDriverClient(c)}, nil
}
