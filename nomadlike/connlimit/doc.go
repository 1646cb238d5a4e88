// Package connlimit wraps a net.Listener so that one remote IP address
// cannot hold more than a set number of connections open at once, and so
// that a peer which stops reading cannot pin a connection forever.
//
// It is what the agent puts in front of its HTTP listener
// (limits.http_max_conns_per_client) and the server in front of its RPC
// listener (limits.rpc_max_conns_per_client). A connection over the limit
// is handed to Config.Reject (the HTTP listener answers 429 there) and
// closed at once; it never reaches the server behind the listener.
//
// The package imports only the standard library.
package connlimit
