package agent

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// fileTelemetry is Nomad's telemetry { } block.
type fileTelemetry struct {
	CollectionInterval      *string   `hcl:"collection_interval,optional"`
	CollectionIntervalRange hcl.Range `hcl:"collection_interval,attr_range"`
	DisableHostname         *bool     `hcl:"disable_hostname,optional"`
	EnableHostnameLabel     *bool     `hcl:"enable_hostname_label,optional"`
	PrometheusMetrics       *bool     `hcl:"prometheus_metrics,optional"`
	InMemoryInterval        *string   `hcl:"in_memory_collection_interval,optional"`
	InMemoryIntervalRange   hcl.Range `hcl:"in_memory_collection_interval,attr_range"`
	InMemoryRetention       *string   `hcl:"in_memory_retention_period,optional"`
	InMemoryRetentionRange  hcl.Range `hcl:"in_memory_retention_period,attr_range"`
	// Remain holds Nomad's other telemetry settings: accepted with a
	// warning (telemetryNoEffect); anything else is an error.
	Remain hcl.Body `hcl:",remain"`
}

// telemetryNoEffect are Nomad's telemetry settings nomadlike accepts so
// that a Nomad config loads, and warns about, with the reason.
var telemetryNoEffect = map[string]string{
	"use_node_name":                          "gauges are named by host name",
	"publish_allocation_metrics":             "nomadlike publishes no per-allocation resource metrics",
	"publish_node_metrics":                   "nomadlike publishes no host resource metrics",
	"filter_default":                         "nomadlike has no metric filters",
	"prefix_filter":                          "nomadlike has no metric filters",
	"disable_dispatched_job_summary_metrics": "nomadlike emits no job summary metrics",
	"disable_quota_utilization_metrics":      "nomadlike has no quotas",
	"disable_rpc_rate_metrics_labels":        "nomadlike has no RPC rate metrics",
	"disable_allocation_hook_metrics":        "nomadlike emits no allocation hook metrics",
	"statsite_address":                       "the only sinks are /v1/metrics and its Prometheus format",
	"statsd_address":                         "the only sinks are /v1/metrics and its Prometheus format",
	"datadog_address":                        "the only sinks are /v1/metrics and its Prometheus format",
	"datadog_tags":                           "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_api_token":                     "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_api_app":                       "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_api_url":                       "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_submission_interval":           "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_submission_url":                "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_id":                      "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_force_metric_activation": "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_instance_id":             "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_search_tag":              "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_display_name":            "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_check_tags":                    "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_broker_id":                     "the only sinks are /v1/metrics and its Prometheus format",
	"circonus_broker_select_tag":             "the only sinks are /v1/metrics and its Prometheus format",
}

// applyTelemetry sets cfg.Telemetry from what f sets, and adds a warning
// (file:line:col) for each Nomad setting that has no effect here.
func applyTelemetry(cfg *Config, f *fileTelemetry) hcl.Diagnostics {
	t := &cfg.Telemetry
	var diags hcl.Diagnostics
	diags = append(diags, setDuration(&t.CollectionInterval, f.CollectionInterval, f.CollectionIntervalRange, "telemetry.collection_interval")...)
	diags = append(diags, setDuration(&t.InMemoryInterval, f.InMemoryInterval, f.InMemoryIntervalRange, "telemetry.in_memory_collection_interval")...)
	diags = append(diags, setDuration(&t.InMemoryRetention, f.InMemoryRetention, f.InMemoryRetentionRange, "telemetry.in_memory_retention_period")...)
	for _, b := range []struct {
		dst *bool
		src *bool
	}{{&t.DisableHostname, f.DisableHostname}, {&t.EnableHostnameLabel, f.EnableHostnameLabel}, {&t.PrometheusMetrics, f.PrometheusMetrics}} {
		if b.src != nil {
			*b.dst = *b.src
		}
	}
	if f.Remain == nil {
		return diags
	}
	attrs, d := f.Remain.JustAttributes()
	diags = append(diags, d...)
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return attrs[names[i]].NameRange.Start.Byte < attrs[names[j]].NameRange.Start.Byte
	})
	for _, name := range names {
		rng := attrs[name].NameRange
		why, ok := telemetryNoEffect[name]
		if !ok {
			diags = append(diags, diagAt(rng, "Unsupported argument", fmt.Sprintf("An argument named %q is not expected in a telemetry block.", name)))
			continue
		}
		cfg.TelemetryWarnings = append(cfg.TelemetryWarnings,
			fmt.Sprintf("%s:%d:%d: telemetry.%s has no effect: %s", rng.Filename, rng.Start.Line, rng.Start.Column, name, why))
	}
	return diags
}
