package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
)

// The cluster key (agent config server.encrypt) authenticates servers to
// each other on the RPC port. Every connection, raft or join, starts with a
// nonce exchange: the caller sends 32 random bytes, the callee answers with
// one flag byte (1: it holds a key) and 32 random bytes of its own. With a
// key, each side then proves it holds the key with an HMAC-SHA256 over both
// nonces (and, for join messages, over the message), under a label that
// differs by direction and connection kind, so that no proof can be
// replayed or reflected. The key itself never crosses the wire.

// ErrClusterKey is wrapped by handshake errors: a wrong or missing proof, or
// one side holding a cluster key and the other none.
var ErrClusterKey = errors.New("cluster key check failed")

// clusterKeySizes are the key lengths server.encrypt accepts, as Nomad's
// gossip keys (16, 24 or 32 bytes); `operator gossip keyring generate`
// makes 32.
var clusterKeySizes = []int{16, 24, 32}

// DecodeClusterKey decodes a base64 cluster key and checks its length.
func DecodeClusterKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not valid base64: %v", err)
	}
	for _, n := range clusterKeySizes {
		if len(k) == n {
			return k, nil
		}
	}
	return nil, fmt.Errorf("decodes to %d bytes; want 16, 24 or 32 (make one with `nomadlike operator gossip keyring generate`)", len(k))
}

const (
	nonceSize = 32
	macSize   = sha256.Size

	labelRaftClient   = "nomadlike raft client v1\x00"
	labelRaftServer   = "nomadlike raft server v1\x00"
	labelJoinRequest  = "nomadlike join request v1\x00"
	labelJoinResponse = "nomadlike join response v1\x00"

	// maxJoinMessage bounds one join message; a member list is a few KB.
	maxJoinMessage = 1 << 20
)

// session is one connection's handshake state.
type session struct {
	key    []byte // nil: neither side holds a key
	cn, sn [nonceSize]byte
}

func (s *session) keyed() bool { return len(s.key) > 0 }

func (s *session) mac(label string, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(label))
	h.Write(s.cn[:])
	h.Write(s.sn[:])
	h.Write(body)
	return h.Sum(nil)
}

// clientHello runs the caller's nonce exchange on conn (after the
// connection-type byte) and checks that both sides agree on having a key.
func clientHello(conn net.Conn, key []byte) (*session, error) {
	s := &session{key: key}
	if _, err := rand.Read(s.cn[:]); err != nil {
		return nil, err
	}
	if _, err := conn.Write(s.cn[:]); err != nil {
		return nil, err
	}
	var buf [1 + nonceSize]byte
	if _, err := io.ReadFull(conn, buf[:]); err != nil {
		return nil, fmt.Errorf("read handshake: %w", err)
	}
	copy(s.sn[:], buf[1:])
	switch theirs := buf[0]&1 == 1; {
	case theirs && !s.keyed():
		return nil, fmt.Errorf("%w: the server at %s requires the cluster key and this server has none (set server.encrypt)", ErrClusterKey, conn.RemoteAddr())
	case !theirs && s.keyed():
		return nil, fmt.Errorf("%w: the server at %s has no cluster key, so it cannot prove it belongs to this cluster (set the same server.encrypt on every server)", ErrClusterKey, conn.RemoteAddr())
	}
	return s, nil
}

// serverHello runs the callee's nonce exchange on conn.
func serverHello(conn net.Conn, key []byte) (*session, error) {
	s := &session{key: key}
	if _, err := io.ReadFull(conn, s.cn[:]); err != nil {
		return nil, fmt.Errorf("read handshake: %w", err)
	}
	var buf [1 + nonceSize]byte
	if _, err := rand.Read(s.sn[:]); err != nil {
		return nil, err
	}
	if s.keyed() {
		buf[0] = 1
	}
	copy(buf[1:], s.sn[:])
	if _, err := conn.Write(buf[:]); err != nil {
		return nil, err
	}
	return s, nil
}

// readProof reads a bare proof and checks it.
func (s *session) readProof(conn net.Conn, label string) error {
	var got [macSize]byte
	if _, err := io.ReadFull(conn, got[:]); err != nil {
		return fmt.Errorf("%w: no proof of the cluster key: %v", ErrClusterKey, err)
	}
	if !hmac.Equal(got[:], s.mac(label, nil)) {
		return fmt.Errorf("%w: wrong proof of the cluster key", ErrClusterKey)
	}
	return nil
}

// dialRaft is the caller's half of a raft connection's handshake.
func dialRaft(conn net.Conn, key []byte) error {
	s, err := clientHello(conn, key)
	if err != nil || !s.keyed() {
		return err
	}
	if _, err := conn.Write(s.mac(labelRaftClient, nil)); err != nil {
		return err
	}
	return s.readProof(conn, labelRaftServer)
}

// acceptRaft is the callee's half: a wrong or missing proof is an error,
// and the caller closes the connection without answering.
func acceptRaft(conn net.Conn, key []byte) error {
	s, err := serverHello(conn, key)
	if err != nil || !s.keyed() {
		return err
	}
	if err := s.readProof(conn, labelRaftClient); err != nil {
		return err
	}
	_, err = conn.Write(s.mac(labelRaftServer, nil))
	return err
}

// signedMsg is a join message: the JSON body and, with a key, its proof.
type signedMsg struct {
	Body json.RawMessage `json:"Body"`
	MAC  []byte          `json:"MAC,omitempty"`
}

// writeSigned sends v with its proof under label.
func (s *session) writeSigned(w io.Writer, label string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := signedMsg{Body: body}
	if s.keyed() {
		msg.MAC = s.mac(label, body)
	}
	return json.NewEncoder(w).Encode(&msg)
}

// readSigned reads one message, checks its proof under label and decodes
// the body into v.
func (s *session) readSigned(dec *json.Decoder, label string, v any) error {
	var msg signedMsg
	if err := dec.Decode(&msg); err != nil {
		return fmt.Errorf("read join message: %w", err)
	}
	if s.keyed() {
		if len(msg.MAC) == 0 {
			return fmt.Errorf("%w: the message carries no proof of the cluster key", ErrClusterKey)
		}
		if !hmac.Equal(msg.MAC, s.mac(label, msg.Body)) {
			return fmt.Errorf("%w: wrong proof of the cluster key", ErrClusterKey)
		}
	}
	if err := json.Unmarshal(msg.Body, v); err != nil {
		return fmt.Errorf("decode join message: %w", err)
	}
	return nil
}
