// Package checks runs the health checks of the services of the
// allocations on a client agent, and tracks an allocation's health for its
// deployment.
//
// Every service block's checks run here, whatever its provider: "nomad",
// and also the default "consul", because nomadlike has no Consul and the
// client is the only place a check could run. Types are http, tcp, grpc
// (grpc.health.v1) and script (run inside the task through the driver's
// exec). A check's reported status follows its thresholds
// (success_before_passing, failures_before_critical); check_restart
// restarts its task through the task runner's restart path after limit
// consecutive failures outside the grace period.
//
// Why it is shaped this way: a client may run thousands of checks, so no
// goroutine sleeps per check. One Manager per agent keeps every check in a
// heap ordered by its next run; one scheduler goroutine sleeps until the
// earliest (dispatching everything due within 10ms at once, so it wakes at
// most 100 times a second) and hands due checks to a fixed pool of worker
// goroutines. An http check keeps one keep-alive connection and sends a
// request serialised once (probe_http.go says why not net/http's Client);
// a grpc check keeps its client connection between runs.
//
// The status seam (status.go) gives other client components — the service
// catalog — the aggregate status of each service of an allocation with a
// change notification; HealthWatcher (health.go) decides an allocation's
// deployment health from its task states and check statuses.
package checks
