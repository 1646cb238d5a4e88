package command

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/agent"
)

func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "Run a nomadlike agent (server and/or client)",
		Description: "Starts an agent configured by -config files and directories (merged in\n" +
			"order) and the flags, which win over the files. -dev runs a server and a\n" +
			"client in memory on 127.0.0.1 (HTTP 4646, RPC 4647) with raw_exec enabled.\n" +
			"SIGINT or SIGTERM stop the agent (a client leaves its tasks running); SIGHUP\n" +
			"reloads the log level from the configuration files and re-reads the TLS\n" +
			"certificate and key files (tls.ca_file, cert_file, key_file).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dev", Usage: "run a server and a client for development, state in memory"},
			&cli.GenericFlag{Name: "config", Usage: "configuration `FILE` or directory of *.hcl (repeatable)", Value: &repeatedFlag{}},
			&cli.BoolFlag{Name: "server", Usage: "enable the server role"},
			&cli.BoolFlag{Name: "client", Usage: "enable the client role"},
			&cli.StringFlag{Name: "data-dir", Usage: "`DIR` for raft data and client state"},
			&cli.StringFlag{Name: "bind", Usage: "`IP` every listener binds"},
			&cli.IntFlag{Name: "http-port", Usage: "HTTP API `PORT` (4646)"},
			&cli.IntFlag{Name: "rpc-port", Usage: "raft `PORT` between servers (4647)"},
			&cli.IntFlag{Name: "bootstrap-expect", Usage: "number of servers to wait for before electing a leader"},
			&cli.GenericFlag{Name: "retry-join", Usage: "RPC `ADDRESS` (host:port, port 4647) of a server to join (repeatable)", Value: &repeatedFlag{}},
			&cli.StringFlag{Name: "encrypt", Usage: "cluster `KEY` (server.encrypt; base64, from operator gossip keyring generate)"},
			&cli.GenericFlag{Name: "servers", Usage: "HTTP `ADDRESS` of a server for the client (repeatable)", Value: &repeatedFlag{}},
			&cli.StringFlag{Name: "node", Usage: "node `NAME` of this agent"},
			&cli.StringFlag{Name: "node-class", Usage: "client node `CLASS`"},
			&cli.GenericFlag{Name: "meta", Usage: "client node meta `KEY=VALUE` (repeatable)", Value: &repeatedFlag{}},
			&cli.StringFlag{Name: "dc", Usage: "`DATACENTER` of the agent"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the agent"},
			&cli.StringFlag{Name: "plugin-dir", Usage: "`DIR` of third-party driver plugins"},
			&cli.StringFlag{Name: "log-level", Usage: "TRACE, DEBUG, INFO, WARN or ERROR"},
			&cli.BoolFlag{Name: "log-json", Usage: "log in JSON"},
		},
		Action: runAgent,
	}
}

// agentConfig builds the agent configuration: defaults (dev defaults with
// -dev), then the -config files, then the flags.
func agentConfig(c *cli.Context) (*agent.Config, error) {
	base := agent.DefaultConfig()
	if c.Bool("dev") {
		base = agent.DevConfig()
	}
	cfg, err := agent.LoadConfig(base, repeated(c, "config"))
	if err != nil {
		return nil, userError("%v", err)
	}
	setString := func(flag string, dst *string) {
		if c.IsSet(flag) {
			*dst = c.String(flag)
		}
	}
	setInt := func(flag string, dst *int) {
		if c.IsSet(flag) {
			*dst = c.Int(flag)
		}
	}
	if c.Bool("server") {
		cfg.Server.Enabled = true
	}
	if c.Bool("client") {
		cfg.Client.Enabled = true
	}
	setString("data-dir", &cfg.DataDir)
	setString("bind", &cfg.BindAddr)
	setInt("http-port", &cfg.Ports.HTTP)
	setInt("rpc-port", &cfg.Ports.RPC)
	setInt("bootstrap-expect", &cfg.Server.BootstrapExpect)
	setString("node", &cfg.Name)
	setString("node-class", &cfg.Client.NodeClass)
	setString("dc", &cfg.Datacenter)
	setString("region", &cfg.Region)
	setString("plugin-dir", &cfg.PluginDir)
	setString("encrypt", &cfg.Server.Encrypt)
	if c.IsSet("log-level") {
		cfg.LogLevel = strings.ToUpper(c.String("log-level"))
	}
	if v := repeated(c, "retry-join"); len(v) > 0 {
		cfg.Server.RetryJoin = splitList(v)
	}
	if v := repeated(c, "servers"); len(v) > 0 {
		cfg.Client.Servers = splitList(v)
	}
	for _, kv := range repeated(c, "meta") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, userError("-meta %q: want KEY=VALUE", kv)
		}
		if cfg.Client.Meta == nil {
			cfg.Client.Meta = map[string]string{}
		}
		cfg.Client.Meta[k] = v
	}
	if err := cfg.Validate(); err != nil {
		return nil, userError("%v", err)
	}
	return cfg, nil
}

// splitList splits comma-separated values of a repeatable flag.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func runAgent(c *cli.Context) error {
	if c.NArg() > 0 {
		return userError("agent takes no arguments, got %q", c.Args().Slice())
	}
	cfg, err := agentConfig(c)
	if err != nil {
		return err
	}
	// An intercept logger, so that /v1/agent/monitor can add sinks.
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:       "agent",
		Level:      hclog.LevelFromString(cfg.LogLevel),
		Output:     c.App.ErrWriter,
		JSONFormat: c.Bool("log-json") || cfg.LogJSON, // log_json
		// log_include_location
		IncludeLocation: cfg.LogIncludeLocation,
	})
	agent.Version = Version
	// The built-in drivers are fingerprinted in the agent and their plugin
	// processes launched on first use (issue #19, idle memory).
	cfg.InProcessDrivers = BuiltinDrivers
	w := c.App.Writer
	for _, f := range cfg.Files {
		fmt.Fprintf(w, "==> Loaded configuration from %s\n", f)
	}
	fmt.Fprintln(w, "==> Starting nomadlike agent...")
	ag, err := agent.New(cfg, logger)
	if err != nil {
		return fmt.Errorf("start agent: %w", err)
	}
	fmt.Fprintln(w, "==> nomadlike agent configuration:")
	kvIndented(w, [][2]string{
		{"HTTP Addr", ag.HTTPAddr()},
		{"Client", fmt.Sprint(cfg.Client.Enabled)},
		{"Server", fmt.Sprint(cfg.Server.Enabled)},
		{"Data Dir", ag.DataDir()},
		{"Log Level", cfg.LogLevel},
		{"Region", cfg.Region + " (DC: " + cfg.Datacenter + ")"},
		{"Version", Version},
	})
	fmt.Fprintln(w, "==> nomadlike agent started! Log data will stream in below:")

	sigCh := make(chan os.Signal, 4)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigCh)
	for {
		select {
		case <-cmdContext(c).Done():
			return shutdownAgent(w, ag)
		case sig := <-sigCh:
			if sig != syscall.SIGHUP {
				fmt.Fprintf(w, "==> Caught signal: %v\n", sig)
				return shutdownAgent(w, ag)
			}
			reloadLogLevel(c, cfg, logger)
			if cfg.TLS.Enabled() { // mTLS: re-read the certificate files
				if err := ag.ReloadTLS(); err != nil {
					logger.Error("reload TLS certificates; the ones in use stay", "error", err)
				}
			}
		}
	}
}

func shutdownAgent(w interface{ Write([]byte) (int, error) }, ag *agent.Agent) error {
	fmt.Fprintln(w, "==> Gracefully shutting down agent...")
	if err := ag.Shutdown(); err != nil {
		return fmt.Errorf("shut down agent: %w", err)
	}
	return nil
}

// reloadLogLevel re-reads the configuration files and applies their log
// level (a -log-level flag still wins). Other settings need a restart.
func reloadLogLevel(c *cli.Context, cfg *agent.Config, logger hclog.Logger) {
	level := cfg.LogLevel
	if !c.IsSet("log-level") {
		base := agent.DefaultConfig()
		if cfg.DevMode {
			base = agent.DevConfig()
		}
		fresh, err := agent.LoadConfig(base, repeated(c, "config"))
		if err != nil {
			logger.Error("reload configuration", "error", err)
			return
		}
		level = fresh.LogLevel
	}
	logger.SetLevel(hclog.LevelFromString(level))
	logger.Info("reloaded log level", "level", level)
}

// kvIndented writes the agent's startup block, keys right-aligned.
func kvIndented(w interface{ Write([]byte) (int, error) }, pairs [][2]string) {
	width := 0
	for _, p := range pairs {
		if len(p[0]) > width {
			width = len(p[0])
		}
	}
	for _, p := range pairs {
		fmt.Fprintf(w, "    %*s: %s\n", width, p[0], p[1])
	}
}
