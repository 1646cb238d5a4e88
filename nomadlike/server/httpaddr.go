package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The HTTP address exchange on the RPC port. Nomad's clients name the
// servers' RPC port (client { servers = ["10.0.0.1:4647"] }); nomadlike's
// clients talk to the servers' HTTP API. A client that was given an RPC
// address opens a connection whose first byte is connHTTPAddr and reads
// one JSON line, httpAddrAnswer, naming the server's advertised HTTP
// address; the server then closes the connection.
//
// The exchange needs no cluster key: clients do not hold it (it
// authenticates servers to each other), and the answer is the address the
// server advertises to every client and user anyway. It reads nothing from
// the caller after the type byte, changes nothing, and runs under the RPC
// port's connection limits (rpc_max_conns_per_client, and
// rpc_handshake_timeout for the first byte) and a short write deadline.

// connHTTPAddr is the connection type byte of the exchange.
const connHTTPAddr byte = 'H'

// httpAddrTimeout bounds both sides of one exchange.
const httpAddrTimeout = 5 * time.Second

// maxHTTPAddrAnswer bounds the answer a caller reads.
const maxHTTPAddrAnswer = 4096

// httpAddrAnswer is the server's answer.
type httpAddrAnswer struct {
	// Version is 1.
	Version int `json:"Version"`
	// HTTPAddr is the server's advertised HTTP address, host:port.
	HTTPAddr string `json:"HTTPAddr"`
	Region   string `json:"Region"`
}

// ErrNoHTTPAddr is returned by LookupHTTPAddr when the address does not
// answer the exchange (it is not a nomadlike server's RPC port) or answers
// without an address.
var ErrNoHTTPAddr = errors.New("no HTTP address from the RPC port")

// serveHTTPAddr answers one exchange on conn and closes it.
func (s *Server) serveHTTPAddr(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(httpAddrTimeout))
	_ = json.NewEncoder(conn).Encode(httpAddrAnswer{Version: 1, HTTPAddr: s.cfg.HTTPAddr, Region: s.cfg.Region})
}

// LookupHTTPAddr asks the server whose RPC port is at addr (host:port) for
// its advertised HTTP address.
func LookupHTTPAddr(addr string, timeout time.Duration) (string, error) {
	if timeout <= 0 || timeout > httpAddrTimeout {
		timeout = httpAddrTimeout
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{connHTTPAddr}); err != nil {
		return "", err
	}
	var ans httpAddrAnswer
	if err := json.NewDecoder(io.LimitReader(conn, maxHTTPAddrAnswer)).Decode(&ans); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNoHTTPAddr, addr, err)
	}
	if _, _, err := net.SplitHostPort(ans.HTTPAddr); err != nil {
		return "", fmt.Errorf("%w: %s answered %q", ErrNoHTTPAddr, addr, ans.HTTPAddr)
	}
	return ans.HTTPAddr, nil
}
