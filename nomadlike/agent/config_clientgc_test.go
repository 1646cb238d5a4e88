package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/client"
)

func TestClientGCConfig(t *testing.T) {
	cases := []configCase[client.GCConfig]{
		{name: "nothing set keeps the client's defaults", src: `client { enabled = true }`},
		{name: "every setting", src: `client {
  gc_interval              = "30s"
  gc_max_allocs            = 10
  gc_disk_usage_threshold  = 90.5
  gc_inode_usage_threshold = 60
  gc_parallel_destroys     = 4
  log_retention {
    period    = "72h"
    max_bytes = "2GiB"
  }
}`, want: client.GCConfig{Interval: 30 * time.Second, MaxAllocs: 10, DiskUsageThreshold: 90.5, InodeUsageThreshold: 60,
			ParallelDestroys: 4, LogRetention: 72 * time.Hour, LogRetentionMaxBytes: 2 << 30}},
		{name: "retention off", src: `client {
  log_retention {
    period = "0s"
  }
}`, want: client.GCConfig{LogRetention: -1}},
		{name: "bad interval", src: `client {
  gc_interval = "often"
}`, errText: "a.hcl:2:3: Invalid client.gc_interval"},
		{name: "zero max allocs", src: `client {
  gc_max_allocs = 0
}`, errText: "a.hcl:2:3: Invalid client.gc_max_allocs: Must be >= 1"},
		{name: "threshold over 100", src: `client {
  gc_disk_usage_threshold = 120
}`, errText: "a.hcl:2:3: Invalid client.gc_disk_usage_threshold"},
		{name: "bad period", src: `client {
  log_retention {
    period = "-1h"
  }
}`, errText: "a.hcl:3:5: Invalid client.log_retention.period"},
		{name: "bad size", src: `client {
  log_retention {
    max_bytes = "lots"
  }
}`, errText: "a.hcl:3:5: Invalid client.log_retention.max_bytes"},
		{name: "unknown retention setting", src: `client {
  log_retention {
    max_files = 3
  }
}`, errText: "a.hcl:3:5: Unsupported argument"},
	}
	runConfigTable(t, configTable[client.GCConfig]{
		field: "Client.GC",
		get: func(c *Config) client.GCConfig {
			got := c.Client.GC
			got.Usage = nil
			return got
		},
		check: func(t *testing.T, cfg *Config) {
			for _, w := range cfg.Client.Warnings {
				if strings.Contains(w, "gc_") {
					t.Errorf("warning about a setting that works: %s", w)
				}
			}
		},
	}, cases)
}
