// Package jsonx is the JSON codec of the hot paths (raft entries, the
// client agents' allocation fetch and update requests, HTTP answers). It
// has the API and the output of encoding/json, backed by a faster
// implementation (github.com/goccy/go-json) that can be swapped back here
// alone.
//
// Output is byte for byte what encoding/json writes (sorted map keys, HTML
// escaping, the same float formatting). Unmarshal decodes what
// encoding/json decodes; when the fast decoder fails it decodes again with
// encoding/json, so errors are encoding/json's (*json.UnmarshalTypeError,
// *json.SyntaxError) and a disagreement between the two decoders resolves
// to encoding/json's answer. Safe for concurrent use.
//
// The domain package nomadlike imports only the standard library and so
// never uses jsonx.
package jsonx
