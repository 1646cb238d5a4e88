package agent

import (
	"fmt"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Limits bound what one client can hold of the agent's listeners: the
// limits block of Nomad's agent configuration, with Nomad's names,
// defaults and meaning (0 disables a limit), and one nomadlike addition
// (http_body_read_timeout).
type Limits struct {
	// HTTPMaxConnsPerClient is how many TCP connections one client IP may
	// have open to the HTTP API at once (http_max_conns_per_client, 100).
	// Connections over it get "429 Too Many Requests" and are closed. A
	// client agent, the CLI and blocking queries each hold one or a few.
	HTTPMaxConnsPerClient int
	// HTTPSHandshakeTimeout bounds a TLS handshake on the HTTP listener
	// (https_handshake_timeout, 5s). Accepted for Nomad configs; the HTTP
	// listener serves plain HTTP, where the request header deadline
	// (10s) plays this part.
	HTTPSHandshakeTimeout time.Duration
	// RPCMaxConnsPerClient is how many TCP connections one source IP may
	// have open to a server's RPC (raft and join) port at once
	// (rpc_max_conns_per_client, 100; 0 or at least 26, as in Nomad). A
	// peer server holds up to five.
	RPCMaxConnsPerClient int
	// RPCHandshakeTimeout is how long a server waits for the first byte
	// of a new RPC connection, the byte that says raft or join
	// (rpc_handshake_timeout, 5s).
	RPCHandshakeTimeout time.Duration
	// HTTPBodyReadTimeout is how long the HTTP API waits for a request
	// body (http_body_read_timeout, 60s; a nomadlike setting). A body
	// that keeps arriving at 64 KiB/s or more is never cut, so large
	// snapshot restores work; a body dribbled slower than that loses its
	// connection after this long.
	HTTPBodyReadTimeout time.Duration
}

// minRPCMaxConnsPerClient is Nomad's floor for rpc_max_conns_per_client.
const minRPCMaxConnsPerClient = 26

// DefaultLimits are Nomad's defaults.
func DefaultLimits() Limits {
	return Limits{
		HTTPMaxConnsPerClient: 100,
		HTTPSHandshakeTimeout: 5 * time.Second,
		RPCMaxConnsPerClient:  100,
		RPCHandshakeTimeout:   5 * time.Second,
		HTTPBodyReadTimeout:   60 * time.Second,
	}
}

// validate returns each problem as {field, message}.
func (l Limits) validate() [][2]string {
	var out [][2]string
	if l.HTTPMaxConnsPerClient < 0 {
		out = append(out, [2]string{"limits.http_max_conns_per_client", fmt.Sprintf("must be >= 0 (0 disables the limit), got %d", l.HTTPMaxConnsPerClient)})
	}
	if n := l.RPCMaxConnsPerClient; n < 0 || (n > 0 && n < minRPCMaxConnsPerClient) {
		out = append(out, [2]string{"limits.rpc_max_conns_per_client", fmt.Sprintf("must be 0 (no limit) or >= %d, got %d", minRPCMaxConnsPerClient, n)})
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"limits.https_handshake_timeout", l.HTTPSHandshakeTimeout},
		{"limits.rpc_handshake_timeout", l.RPCHandshakeTimeout},
		{"limits.http_body_read_timeout", l.HTTPBodyReadTimeout},
	} {
		if d.v < 0 {
			out = append(out, [2]string{d.field, fmt.Sprintf("must be >= 0 (0 disables the timeout), got %s", d.v)})
		}
	}
	return out
}

type fileLimits struct {
	HTTPSHandshakeTimeout      *string   `hcl:"https_handshake_timeout,optional"`
	HTTPSHandshakeTimeoutRange hcl.Range `hcl:"https_handshake_timeout,attr_range"`
	HTTPMaxConnsPerClient      *int      `hcl:"http_max_conns_per_client,optional"`
	HTTPMaxConnsRange          hcl.Range `hcl:"http_max_conns_per_client,attr_range"`
	RPCHandshakeTimeout        *string   `hcl:"rpc_handshake_timeout,optional"`
	RPCHandshakeTimeoutRange   hcl.Range `hcl:"rpc_handshake_timeout,attr_range"`
	RPCMaxConnsPerClient       *int      `hcl:"rpc_max_conns_per_client,optional"`
	RPCMaxConnsRange           hcl.Range `hcl:"rpc_max_conns_per_client,attr_range"`
	HTTPBodyReadTimeout        *string   `hcl:"http_body_read_timeout,optional"`
	HTTPBodyReadTimeoutRange   hcl.Range `hcl:"http_body_read_timeout,attr_range"`
}

func applyLimits(dst *Limits, l *fileLimits) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if v := l.HTTPMaxConnsPerClient; v != nil {
		if *v < 0 {
			diags = append(diags, diagAt(l.HTTPMaxConnsRange, "Invalid limits.http_max_conns_per_client", fmt.Sprintf("Must be >= 0 (0 disables the limit), got %d.", *v)))
		}
		dst.HTTPMaxConnsPerClient = *v
	}
	if v := l.RPCMaxConnsPerClient; v != nil {
		if *v < 0 || (*v > 0 && *v < minRPCMaxConnsPerClient) {
			diags = append(diags, diagAt(l.RPCMaxConnsRange, "Invalid limits.rpc_max_conns_per_client", fmt.Sprintf("Must be 0 (no limit) or >= %d, got %d.", minRPCMaxConnsPerClient, *v)))
		}
		dst.RPCMaxConnsPerClient = *v
	}
	diags = append(diags, setTimeout(&dst.HTTPSHandshakeTimeout, l.HTTPSHandshakeTimeout, l.HTTPSHandshakeTimeoutRange, "limits.https_handshake_timeout")...)
	diags = append(diags, setTimeout(&dst.RPCHandshakeTimeout, l.RPCHandshakeTimeout, l.RPCHandshakeTimeoutRange, "limits.rpc_handshake_timeout")...)
	diags = append(diags, setTimeout(&dst.HTTPBodyReadTimeout, l.HTTPBodyReadTimeout, l.HTTPBodyReadTimeoutRange, "limits.http_body_read_timeout")...)
	return diags
}

// setTimeout is setDuration where "0" is allowed and disables the timeout.
func setTimeout(dst *time.Duration, src *string, rng hcl.Range, name string) hcl.Diagnostics {
	if src == nil {
		return nil
	}
	d, err := time.ParseDuration(*src)
	if err != nil || d < 0 {
		return hcl.Diagnostics{diagAt(rng, "Invalid "+name, fmt.Sprintf("%q is not a duration like \"5s\" (\"0\" disables the timeout).", *src))}
	}
	*dst = d
	return nil
}

// lowOpenFiles is the open file limit below which the agent warns: every
// HTTP and RPC connection, allocation log and driver pipe is a descriptor.
const lowOpenFiles = 4096

// openFilesLimit returns the soft RLIMIT_NOFILE. Go raises it to the hard
// limit when the process starts (since Go 1.19), so a low value here means
// a low hard limit (LimitNOFILE= in a systemd unit, ulimit -Hn).
func openFilesLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return r.Cur
}
