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
	cases := []struct {
		name, src    string
		wantInterval time.Duration
		want         gc.Thresholds
		wantErr      string
	}{
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
			wantInterval: time.Minute,
			want:         gc.Thresholds{Job: 2 * time.Hour, Eval: 3 * time.Minute, BatchEval: 4 * time.Hour, Deployment: 5 * time.Minute, Node: 6 * time.Hour},
		},
		{
			name:         "defaults",
			src:          "server {\n  enabled = true\n}\n",
			wantInterval: 5 * time.Minute,
			want:         gc.Thresholds{Job: 4 * time.Hour, Eval: time.Hour, BatchEval: 24 * time.Hour, Deployment: time.Hour, Node: 24 * time.Hour},
		},
		{name: "not a duration", src: "server {\n  job_gc_threshold = \"later\"\n}\n", wantErr: "a.hcl:2:3: Invalid server.job_gc_threshold"},
		{name: "zero", src: "server {\n\n  job_gc_interval = \"0s\"\n}\n", wantErr: "a.hcl:3:3: Invalid server.job_gc_interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "a.hcl", []byte(tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "_gc_") {
					t.Errorf("warning about a garbage collection setting: %s", w)
				}
			}
			got := server.DefaultConfig()
			applyServerTuning(&got, &cfg.Server)
			if got.JobGCInterval != tc.wantInterval || got.GCThresholds != tc.want {
				t.Errorf("server config: interval %v thresholds %+v, want %v %+v", got.JobGCInterval, got.GCThresholds, tc.wantInterval, tc.want)
			}
		})
	}
}
