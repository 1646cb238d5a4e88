// Package httpapi serves nomadlike's HTTP API with Nomad's paths, verbs and
// JSON shapes, so that Nomad's CLI and Go client can talk to a nomadlike
// agent.
//
// Reads come from the local state store. They support blocking queries
// (?index=N&wait=5m) on state watch sets and set X-Nomad-Index,
// X-Nomad-KnownLeader and X-Nomad-LastContact. Consistent reads (the
// default) on a follower and every write on a follower are forwarded to the
// leader's HTTP address; ?stale reads are answered locally.
//
// Errors become HTTP statuses in one place, statusFor: not found → 404,
// validation and malformed bodies → 400 (naming the JSON field path),
// check-index mismatches and conflicts → 409, permission → 403, anything else
// (including "no cluster leader") → 500. Wrong methods get 405 from the mux.
package httpapi
