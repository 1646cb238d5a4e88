package fsm

import (
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
	// Append writes the body after the type byte, in one allocation for
	// plan results of thousands of allocations.
	buf, err := jsonx.Append([]byte{byte(t)}, req)
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", t, err)
	}
	return buf, nil
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
