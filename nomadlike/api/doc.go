// Package api is the Go HTTP client of a nomadlike agent, used by the CLI, the
// client agent and the e2e tests. Paths, verbs and JSON follow Nomad's HTTP
// API; reads return QueryMeta from the X-Nomad-* headers and support blocking
// queries (WaitIndex, WaitTime). A Client is safe for concurrent use.
package api
