package jsonx

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// splitMin is the least length of a slice that Append encodes element by
// element.
const splitMin = 32

// Append appends the JSON of v to dst (no newline) and returns the
// extended slice; the bytes are what Marshal writes. For a struct, or a
// pointer to one, with long slices of structs or pointers (plan results,
// allocation fetch answers) it encodes one element at a time straight into
// dst, grown once from the first element's size: the fast encoder would
// otherwise grow one buffer for the whole value by copies of 1.25 times,
// which for entries of tens of megabytes costs more than the encoding.
func Append(dst []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return appendWhole(dst, v)
	}
	rv = rv.Elem()
	plan := planFor(rv.Type())
	if plan == nil || !plan.worthSplitting(rv) {
		return appendWhole(dst, v)
	}
	w := &appendWriter{buf: dst}
	enc := NewEncoder(w)
	w.buf = append(w.buf, '{')
	first := true
	for _, f := range plan.fields {
		fv := rv.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = append(w.buf, f.key...)
		if f.split && fv.Len() >= splitMin {
			if err := w.appendSlice(enc, fv); err != nil {
				return dst, err
			}
			continue
		}
		if err := w.encode(enc, fv.Addr().Interface()); err != nil {
			return dst, err
		}
	}
	w.buf = append(w.buf, '}')
	return w.buf, nil
}

func appendWhole(dst []byte, v any) ([]byte, error) {
	w := &appendWriter{buf: dst}
	if err := w.encode(NewEncoder(w), v); err != nil {
		return dst, err
	}
	return w.buf, nil
}

// appendWriter collects an Encoder's output.
type appendWriter struct{ buf []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// encode appends v without the Encoder's newline.
func (w *appendWriter) encode(enc *Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.buf = w.buf[:len(w.buf)-1]
	return nil
}

// appendSlice appends the elements of a non-nil slice one by one, growing
// the buffer once for all from the size of the first.
func (w *appendWriter) appendSlice(enc *Encoder, s reflect.Value) error {
	w.buf = append(w.buf, '[')
	n := s.Len()
	for i := range n {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		start := len(w.buf)
		if err := w.encode(enc, s.Index(i).Addr().Interface()); err != nil {
			return err
		}
		if i == 0 {
			size := len(w.buf) - start + 1
			w.buf = slices.Grow(w.buf, (n-1)*size+size/8*(n-1)+64)
		}
	}
	w.buf = append(w.buf, ']')
	return nil
}

// structPlan is how Append walks a struct type: its fields in encoding/json's
// order with their keys. Types it cannot walk exactly as encoding/json does
// (embedded fields, options other than omitempty, own JSON methods) and
// types with no slice to split have no plan.
type structPlan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	index     int
	key       string // `"Name":`
	omitEmpty bool
	split     bool // a slice of structs or pointers
}

var plans sync.Map // reflect.Type -> *structPlan (nil: encode whole)

func planFor(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	p := newPlan(t)
	plans.Store(t, p)
	return p
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func newPlan(t reflect.Type) *structPlan {
	pt := reflect.PointerTo(t)
	if pt.Implements(marshalerType) || pt.Implements(textMarshalerType) {
		return nil
	}
	p := &structPlan{}
	anySplit := false
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts != "" && opts != "omitempty" {
			return nil
		}
		if name == "" {
			name = sf.Name
		}
		if !plainKey(name) {
			return nil
		}
		f := fieldPlan{index: i, key: `"` + name + `":`, omitEmpty: opts == "omitempty"}
		if sf.Type.Kind() == reflect.Slice {
			switch sf.Type.Elem().Kind() {
			case reflect.Struct, reflect.Pointer:
				f.split = true
				anySplit = true
			}
		}
		p.fields = append(p.fields, f)
	}
	if !anySplit {
		return nil
	}
	return p
}

// plainKey reports whether a key needs no escaping in JSON.
func plainKey(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

func (p *structPlan) worthSplitting(v reflect.Value) bool {
	for _, f := range p.fields {
		if f.split && v.Field(f.index).Len() >= splitMin {
			return true
		}
	}
	return false
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
