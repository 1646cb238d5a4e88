package jsonx

import (
	"encoding/json"
	"io"

	gojson "github.com/goccy/go-json"
)

// Marshal returns the JSON encoding of v, as json.Marshal does.
func Marshal(v any) ([]byte, error) {
	return gojson.Marshal(v)
}

// Unmarshal decodes data into v, as json.Unmarshal does, with
// encoding/json's errors.
func Unmarshal(data []byte, v any) error {
	if err := gojson.Unmarshal(data, v); err != nil {
		// Rare: decode again for encoding/json's error (callers map its
		// types to messages with field paths), or for its value should the
		// two disagree. encoding/json overwrites every value the fast
		// decoder may have set, since both set only what data holds.
		return json.Unmarshal(data, v)
	}
	return nil
}

// Encoder writes JSON values to a stream, as json.Encoder does.
type Encoder struct{ enc *gojson.Encoder }

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{enc: gojson.NewEncoder(w)} }

// Encode writes v and a newline.
func (e *Encoder) Encode(v any) error { return e.enc.Encode(v) }

// SetIndent indents every value as json.Encoder.SetIndent does.
func (e *Encoder) SetIndent(prefix, indent string) { e.enc.SetIndent(prefix, indent) }

// SetEscapeHTML sets whether <, > and & are escaped in strings (default
// true).
func (e *Encoder) SetEscapeHTML(on bool) { e.enc.SetEscapeHTML(on) }

// Decoder reads JSON values from a stream, as json.Decoder does. Its errors
// are the fast decoder's, not encoding/json's types; read the whole input
// and use Unmarshal where a caller needs those.
type Decoder struct{ dec *gojson.Decoder }

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{dec: gojson.NewDecoder(r)} }

// Decode reads the next value into v; io.EOF at the end of the input.
func (d *Decoder) Decode(v any) error { return d.dec.Decode(v) }

// DisallowUnknownFields makes Decode fail on an object key that matches no
// field of the destination struct.
func (d *Decoder) DisallowUnknownFields() { d.dec.DisallowUnknownFields() }

// UseNumber decodes numbers into interface values as json.Number.
func (d *Decoder) UseNumber() { d.dec.UseNumber() }
