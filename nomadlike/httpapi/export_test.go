package httpapi

import "time"

// NeedOf exposes a route's requirement to the external tests: its kind
// ("public", "token", "namespace", "node:read", ..., "node-call",
// "node-secret", "search", "client"), the namespace capability, and
// whether a node:read token may stand in for the node secret.
func NeedOf(ri RouteInfo) (kind, capability string, orNodeRead bool) {
	names := map[needKind]string{
		needPublic: "public", needToken: "token", needResolved: "resolved", needNamespace: "namespace",
		needNodeRead: "node:read", needNodeWrite: "node:write", needAgentRead: "agent:read", needAgentWrite: "agent:write",
		needOperatorRead: "operator:read", needOperatorWrite: "operator:write", needManagement: "management",
		needNodeCall: "node-call", needNodeSecret: "node-secret", needSearch: "search", needClient: "client",
	}
	return names[ri.need.kind], ri.need.capability, ri.need.orNodeRead
}

// ClientPathNeed exposes clientPathNeed.
var ClientPathNeed = clientPathNeed

// SetEventHeartbeat sets the event stream's heartbeat interval and returns
// a function that restores it.
func SetEventHeartbeat(d time.Duration) func() {
	old := eventHeartbeat
	eventHeartbeat = d
	return func() { eventHeartbeat = old }
}
