package agent

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Client garbage collection (Nomad's gc_* settings of the client block)
// and log retention (nomadlike's client { log_retention { } } block), issue
// #14. What is not set keeps client.GCConfig's defaults.

// fileLogRetention is client { log_retention { period = "24h" max_bytes = "1GiB" } }.
type fileLogRetention struct {
	Period        *string   `hcl:"period,optional"`
	PeriodRange   hcl.Range `hcl:"period,attr_range"`
	MaxBytes      *string   `hcl:"max_bytes,optional"`
	MaxBytesRange hcl.Range `hcl:"max_bytes,attr_range"`
}

func applyClientGC(dst *ClientConfig, f *fileClient) hcl.Diagnostics {
	var diags hcl.Diagnostics
	g := &dst.GC
	diags = append(diags, setDuration(&g.Interval, f.GCInterval, f.GCIntervalRange, "client.gc_interval")...)
	for _, v := range []struct {
		dst  *int
		src  *int
		rng  hcl.Range
		name string
	}{
		{&g.MaxAllocs, f.GCMaxAllocs, f.GCMaxAllocsRange, "client.gc_max_allocs"},
		{&g.ParallelDestroys, f.GCParallelDestroys, f.GCParallelDestroysRange, "client.gc_parallel_destroys"},
	} {
		if v.src == nil {
			continue
		}
		if *v.src < 1 {
			diags = append(diags, diagAt(v.rng, "Invalid "+v.name, fmt.Sprintf("Must be >= 1, got %d.", *v.src)))
			continue
		}
		*v.dst = *v.src
	}
	for _, v := range []struct {
		dst  *float64
		src  *float64
		rng  hcl.Range
		name string
	}{
		{&g.DiskUsageThreshold, f.GCDiskUsageThreshold, f.GCDiskUsageThresholdRng, "client.gc_disk_usage_threshold"},
		{&g.InodeUsageThreshold, f.GCInodeUsageThreshold, f.GCInodeUsageThresholdRng, "client.gc_inode_usage_threshold"},
	} {
		if v.src == nil {
			continue
		}
		if *v.src <= 0 || *v.src > 100 {
			diags = append(diags, diagAt(v.rng, "Invalid "+v.name, fmt.Sprintf("Must be a percentage above 0 and at most 100, got %v.", *v.src)))
			continue
		}
		*v.dst = *v.src
	}
	if r := f.LogRetention; r != nil {
		if r.Period != nil {
			d, err := time.ParseDuration(*r.Period)
			switch {
			case err != nil || d < 0:
				diags = append(diags, diagAt(r.PeriodRange, "Invalid client.log_retention.period", fmt.Sprintf("%q is not a duration like \"24h\" (\"0s\" turns retention off).", *r.Period)))
			case d == 0:
				g.LogRetention = -1
			default:
				g.LogRetention = d
			}
		}
		if r.MaxBytes != nil {
			var n int64
			diags = append(diags, setSize(&n, r.MaxBytes, r.MaxBytesRange, "client.log_retention.max_bytes")...)
			switch {
			case n > 0:
				g.LogRetentionMaxBytes = n
			case n == 0 && !diags.HasErrors():
				g.LogRetentionMaxBytes = -1
			}
		}
	}
	return diags
}
