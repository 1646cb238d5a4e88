package server

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// The first byte of every connection to the RPC port says what it carries.
const (
	connRaft byte = 'R'
	connJoin byte = 'J'
)

// muxListener is raft's StreamLayer over the RPC listener. It reads the
// first byte of each accepted connection: raft connections are handed to
// raft through Accept, join connections to the join handler. Reading the
// byte happens on a goroutine per connection so one slow client cannot stall
// accepting. Raft connections pass the cluster key handshake (see
// clusterkey.go) in both directions before raft sees them.
type muxListener struct {
	ln        net.Listener
	advertise net.Addr
	raftCh    chan net.Conn
	join      func(net.Conn)
	httpAddr  func(net.Conn) // the HTTP address exchange (httpaddr.go)
	key       []byte         // cluster key; nil when none is configured
	tls       *RPCTLS        // mTLS on the RPC port; nil: plain TCP
	logger    hclog.Logger
	handshake time.Duration // first-byte deadline; 0: none
	closeOnce sync.Once
	closedCh  chan struct{}
	wg        sync.WaitGroup
}

var _ raft.StreamLayer = (*muxListener)(nil)

func newMuxListener(ln net.Listener, advertise net.Addr, join, httpAddr func(net.Conn), key []byte, logger hclog.Logger, handshake time.Duration, tlsCfg *RPCTLS) *muxListener {
	m := &muxListener{ln: ln, advertise: advertise, raftCh: make(chan net.Conn), join: join, httpAddr: httpAddr, key: key, tls: tlsCfg, logger: logger, handshake: handshake, closedCh: make(chan struct{})}
	m.wg.Add(1)
	go m.acceptLoop()
	return m
}

func (m *muxListener) acceptLoop() {
	defer m.wg.Done()
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.closedCh:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.route(conn)
		}()
	}
}

func (m *muxListener) route(conn net.Conn) {
	var b [1]byte
	if m.tls != nil { // mTLS: everything, first byte included, inside TLS
		tc, err := m.tls.accept(conn, m.handshake)
		if err != nil {
			m.logger.Warn("RPC connection refused: TLS handshake failed", "remote", conn.RemoteAddr(), "error", err)
			conn.Close()
			return
		}
		conn = tc
	}
	if m.handshake > 0 {
		_ = conn.SetReadDeadline(time.Now().Add(m.handshake))
	}
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	switch b[0] {
	case connRaft:
		if err := m.authRaft(conn); err != nil {
			m.logger.Warn("raft connection refused", "remote", conn.RemoteAddr(), "error", err)
			conn.Close()
			return
		}
		select {
		case m.raftCh <- conn:
		case <-m.closedCh:
			conn.Close()
		}
	case connJoin:
		m.join(conn)
	case connHTTPAddr: // clients given an RPC address (httpaddr.go)
		if m.httpAddr == nil {
			conn.Close()
			return
		}
		m.httpAddr(conn)
	default:
		conn.Close()
	}
}

// authRaft runs the callee's half of the cluster key handshake.
func (m *muxListener) authRaft(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	defer conn.SetDeadline(time.Time{})
	return acceptRaft(conn, m.key)
}

// handshakeTimeout bounds a connection's key handshake.
const handshakeTimeout = 10 * time.Second

// Accept returns the next raft connection.
func (m *muxListener) Accept() (net.Conn, error) {
	select {
	case c := <-m.raftCh:
		return c, nil
	case <-m.closedCh:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; open connections are raft's to close.
func (m *muxListener) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.closedCh)
		err = m.ln.Close()
	})
	return err
}

// Addr is the advertised address raft tells its peers.
func (m *muxListener) Addr() net.Addr { return m.advertise }

// Dial opens a raft connection to a peer.
func (m *muxListener) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := m.tls.dial(string(address), timeout)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := conn.Write([]byte{connRaft}); err != nil {
		conn.Close()
		return nil, err
	}
	if err := dialRaft(conn, m.key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("raft connection to %s: %w", address, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// member is what servers tell each other through the join service.
type member struct {
	ID              string `json:"ID"`
	Name            string `json:"Name"`
	RPCAddr         string `json:"RPCAddr"`
	HTTPAddr        string `json:"HTTPAddr"`
	Region          string `json:"Region"`
	Datacenter      string `json:"Datacenter"`
	BootstrapExpect int    `json:"BootstrapExpect"`
}

// joinRequest introduces the caller and what it knows. A probe asks only
// for the callee's own record (the leader probes a server's address before
// it adds it to raft).
type joinRequest struct {
	Self  member   `json:"Self"`
	Known []member `json:"Known"`
	Probe bool     `json:"Probe,omitempty"`
}

// joinResponse returns the callee's own record and what it knows.
type joinResponse struct {
	Self      member   `json:"Self"`
	Known     []member `json:"Known"`
	Leader    string   `json:"Leader"`    // raft address of the leader, "" when unknown
	InCluster bool     `json:"InCluster"` // the callee has a raft configuration
	Error     string   `json:"Error"`
}

// callJoin sends one join exchange to addr, authenticated with key when it
// is set (and refused when the two sides disagree on having one).
func callJoin(addr string, key []byte, tlsCfg *RPCTLS, req *joinRequest, timeout time.Duration) (*joinResponse, error) {
	conn, err := tlsCfg.dial(addr, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{connJoin}); err != nil {
		return nil, err
	}
	sess, err := clientHello(conn, key)
	if err != nil {
		return nil, fmt.Errorf("join %s: %w", addr, err)
	}
	w := bufio.NewWriter(conn)
	if err := sess.writeSigned(w, labelJoinRequest, req); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	var resp joinResponse
	if err := sess.readSigned(json.NewDecoder(io.LimitReader(conn, maxJoinMessage)), labelJoinResponse, &resp); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("join %s: %w: the server closed the connection without answering (is server.encrypt the same on both?)", addr, ErrClusterKey)
		}
		return nil, fmt.Errorf("join %s: %w", addr, err)
	}
	if resp.Error != "" {
		return &resp, fmt.Errorf("join %s: %s", addr, resp.Error)
	}
	return &resp, nil
}

// RPCTLS is mTLS on the RPC port (agent config tls.rpc): Server checks the
// connections the port accepts, Client is what this server dials its peers
// with (raft and joins). Both present this server's certificate; see
// nomadlike/tlsutil for the checks (with verify_server_hostname only
// certificates naming server.<region>.nomad pass either way).
type RPCTLS struct {
	Server *tls.Config
	Client *tls.Config
}

// accept runs the server side of the handshake on conn, bounded by
// timeout (handshakeTimeout when 0).
func (t *RPCTLS) accept(conn net.Conn, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		timeout = handshakeTimeout
	}
	tc := tls.Server(conn, t.Server)
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return tc, nil
}

// dial opens a connection to a peer's RPC port: plain TCP when t is nil,
// else TLS with the handshake done within timeout.
func (t *RPCTLS) dial(addr string, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil || t == nil {
		return conn, err
	}
	tc := tls.Client(conn, t.Client)
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return tc, nil
}
