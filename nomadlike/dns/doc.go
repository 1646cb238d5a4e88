// Package dns serves the service catalog over DNS on a client agent
// (nomadlike's addition; Nomad has no DNS interface without Consul).
//
// It answers NAME.service.nomad. (namespace "default") and
// NAME.service.NAMESPACE.nomad. with A, AAAA and SRV records of the
// instances whose checks pass, in a random order seeded from the query
// (round-robin load balancing), and ADDR.addr.nomad. (the SRV targets)
// with the address they encode. A name with no passing instance is
// NXDOMAIN; a name outside the domain is REFUSED; an opcode other than
// QUERY is NOTIMP.
//
// Answers come from a Cache: the first query of a service starts a
// blocking-query watch of that service on the servers, so later answers
// follow the catalog within one round trip; a service nobody asked for in
// a while stops being watched. The server bounds its work: a fixed number
// of requests in flight, a few TCP connections per source address, read
// and write deadlines, and answers truncated to the client's buffer size.
package dns
