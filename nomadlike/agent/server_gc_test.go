package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/server"
	"github.com/nomadlike/nomadlike/nomadlike/server/gc"
)

// TestServerGCSettings: Nomad's server garbage collection settings reach
// the server's config, unset ones keep Nomad's defaults, and a bad value
// is an error naming its place.
func TestServerGCSettings(t *testing.T) {
	// gcSettings is what the server gets of the agent's settings.
	type gcSettings struct {
		Interval   time.Duration
		Thresholds gc.Thresholds
	}
	cases := []configCase[gcSettings]{
		{
			name: "all set",
			src: `server {
  job_gc_interval         = "1m"
  job_gc_threshold        = "2h"
  eval_gc_threshold       = "3m"
  batch_eval_gc_threshold = "4h"
  deployment_gc_threshold = "5m"
  node_gc_threshold       = "6h"
}
`,
			want: gcSettings{time.Minute, gc.Thresholds{Job: 2 * time.Hour, Eval: 3 * time.Minute, BatchEval: 4 * time.Hour, Deployment: 5 * time.Minute, Node: 6 * time.Hour}},
		},
		{
			name: "defaults",
			src:  "server {\n  enabled = true\n}\n",
			want: gcSettings{5 * time.Minute, gc.Thresholds{Job: 4 * time.Hour, Eval: time.Hour, BatchEval: 24 * time.Hour, Deployment: time.Hour, Node: 24 * time.Hour}},
		},
		{name: "not a duration", src: "server {\n  job_gc_threshold = \"later\"\n}\n", errText: "a.hcl:2:3: Invalid server.job_gc_threshold"},
		{name: "zero", src: "server {\n\n  job_gc_interval = \"0s\"\n}\n", errText: "a.hcl:3:3: Invalid server.job_gc_interval"},
	}
	runConfigTable(t, configTable[gcSettings]{
		field: "server config's GC settings",
		get: func(c *Config) gcSettings {
			got := server.DefaultConfig()
			applyServerTuning(&got, &c.Server)
			return gcSettings{got.JobGCInterval, got.GCThresholds}
		},
		check: func(t *testing.T, cfg *Config) {
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "_gc_") {
					t.Errorf("warning about a garbage collection setting: %s", w)
				}
			}
		},
	}, cases)
}
