package fsm

import (
	"bytes"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// A raft log entry is one MessageType byte followed by the request as JSON,
// exactly as encoding/json writes it. The encoder and decoder are jsonx's
// (a faster JSON implementation with encoding/json's output), so entries
// written by any version of nomadlike decode alike and the format carries
// no version mark.

// Encode returns the raft log entry for a request: the type byte, then the
// request as JSON.
func Encode(t MessageType, req any) ([]byte, error) {
	// The encoder hands its whole output to one Write: the entry is
	// allocated once, with the type byte in front, instead of a marshalled
	// body and then a copy (plan results carry thousands of allocations).
	w := &entryWriter{buf: []byte{byte(t)}}
	if err := jsonx.NewEncoder(w).Encode(req); err != nil {
		return nil, fmt.Errorf("encode %s request: %w", t, err)
	}
	return bytes.TrimSuffix(w.buf, []byte("\n")), nil
}

// entryWriter appends to buf.
type entryWriter struct{ buf []byte }

func (w *entryWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// decodeBody decodes the body of an entry (after the type byte) into req.
func decodeBody(body []byte, req any) error {
	return jsonx.Unmarshal(body, req)
}

// decode unmarshals the body of e. A committed entry that does not decode
// would make replicas diverge, so it panics.
func decode[T any](e entry) *T {
	req := new(T)
	if err := decodeBody(e.body, req); err != nil {
		panic(fmt.Sprintf("fsm: decode %s entry at index %d: %v", e.typ, e.index, err))
	}
	return req
}
