// Package telemetry is the agent's metrics: a hashicorp/go-metrics
// registry whose in-memory sink answers GET /v1/metrics in Nomad's JSON
// shape and whose Prometheus sink answers ?format=prometheus, with Nomad's
// metric names under the prefix "nomad". It also routes the metrics
// hashicorp/raft emits through armon/go-metrics to the same sinks, and
// runs the collectors that set the gauges every collection interval.
package telemetry
