package command

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/simnode"
)

// operatorSimNodesCommand is the hidden "operator sim-nodes" command: it runs
// simulated client nodes against real servers until interrupted, for scale
// tests by hand. The nodes share one source address and hold two
// connections each: the servers need limits { http_max_conns_per_client = 0 }
// (or more than twice -count).
func operatorSimNodesCommand() *cli.Command {
	return &cli.Command{
		Name:   "sim-nodes",
		Usage:  "Run simulated client nodes against servers until interrupted (scale testing; the servers need limits { http_max_conns_per_client = 0 })",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Value: 100, Usage: "number of simulated nodes"},
			&cli.StringFlag{Name: "servers", Value: "127.0.0.1:4646", Usage: "comma-separated server HTTP addresses"},
			&cli.StringFlag{Name: "dc", Value: "dc1", Usage: "datacenter of the nodes"},
			&cli.StringFlag{Name: "class", Usage: "node class; several comma-separated classes are assigned round-robin"},
			&cli.StringFlag{Name: "pool", Value: "default", Usage: "node pool of the nodes"},
			&cli.Int64Flag{Name: "cpu", Value: 4000, Usage: "CPU of each node in MHz"},
			&cli.Int64Flag{Name: "memory", Value: 8192, Usage: "memory of each node in MB"},
			&cli.Int64Flag{Name: "disk", Value: 100 * 1024, Usage: "disk of each node in MB"},
			&cli.DurationFlag{Name: "start-delay", Usage: "how long new allocations stay pending"},
			&cli.DurationFlag{Name: "run-time", Usage: "how long batch tasks pretend to run"},
			&cli.DurationFlag{Name: "min-watch-interval", Usage: "least time between two allocation queries of a node"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of node IDs (the same seed re-registers the same nodes)"},
			&cli.StringFlag{Name: "name-prefix", Value: "sim", Usage: "prefix of node names"},
			&cli.DurationFlag{Name: "stats-interval", Value: 10 * time.Second, Usage: "how often to print counters (0: never)"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log level (trace, debug, info, warn, error)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return userError("operator sim-nodes: unexpected arguments %q", c.Args().Slice())
			}
			var servers, classes []string
			for _, s := range strings.Split(c.String("servers"), ",") {
				if s = strings.TrimSpace(s); s != "" {
					servers = append(servers, s)
				}
			}
			for _, s := range strings.Split(c.String("class"), ",") {
				if s = strings.TrimSpace(s); s != "" {
					classes = append(classes, s)
				}
			}
			logger := hclog.New(&hclog.LoggerOptions{
				Name: "sim-nodes", Level: hclog.LevelFromString(c.String("log-level")), Output: c.App.ErrWriter,
			})
			sim, err := simnode.New(simnode.Config{
				Servers: servers, Count: c.Int("count"), Datacenter: c.String("dc"), Classes: classes,
				NodePool: c.String("pool"), CPU: c.Int64("cpu"), MemoryMB: c.Int64("memory"), DiskMB: c.Int64("disk"),
				StartDelay: c.Duration("start-delay"), RunTime: c.Duration("run-time"),
				MinWatchInterval: c.Duration("min-watch-interval"), Seed: c.Uint64("seed"),
				NamePrefix: c.String("name-prefix"), Logger: logger,
			})
			if err != nil {
				return userError("operator sim-nodes: %v", err)
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := c.App.Writer
			start := time.Now()
			if err := sim.Start(ctx); err != nil {
				sim.Stop()
				return fmt.Errorf("operator sim-nodes: %w", err)
			}
			fmt.Fprintf(out, "%d simulated nodes registered in %v; interrupt to stop\n",
				c.Int("count"), time.Since(start).Round(time.Millisecond))
			var tick <-chan time.Time
			if d := c.Duration("stats-interval"); d > 0 {
				t := time.NewTicker(d)
				defer t.Stop()
				tick = t.C
			}
			for {
				select {
				case <-ctx.Done():
					sim.Stop()
					printSimStats(out, sim.Stats())
					return nil
				case <-tick:
					printSimStats(out, sim.Stats())
				}
			}
		},
	}
}

func printSimStats(w io.Writer, s simnode.Stats) {
	fmt.Fprintf(w, "nodes=%d registered=%d heartbeats=%d hb_errors=%d watches=%d watch_errors=%d allocs_seen=%d running=%d complete=%d update_calls=%d update_errors=%d queued=%d\n",
		s.Nodes, s.Registered, s.Heartbeats, s.HeartbeatErrors, s.Watches, s.WatchErrors, s.AllocsSeen,
		s.Running, s.Complete, s.UpdateCalls, s.UpdateErrors, s.QueuedUpdates)
}
