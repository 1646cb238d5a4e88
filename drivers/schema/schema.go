package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is the type of a config value, as the JSON of a config carries it.
type Kind string

// Kinds.
const (
	KindString   Kind = "string"
	KindInt      Kind = "int"      // a whole number that fits the field (Min/Max)
	KindUint     Kind = "uint"     // a whole number >= 0 that fits the field (Max)
	KindFloat    Kind = "float"    // any number
	KindBool     Kind = "bool"     // true or false
	KindDuration Kind = "duration" // a Go duration string ("10s", "1m30s")
	KindList     Kind = "list"     // a JSON array of Elem
	KindMap      Kind = "map"      // a JSON object of string keys to Elem
	KindObject   Kind = "object"   // a JSON object with the keys of Fields
	KindAny      Kind = "any"      // anything (json.RawMessage, any)
)

// Schema describes a config: the keys of its top-level object.
type Schema struct {
	Fields []*Field `json:"Fields"`
}

// Field describes one key of an object, or the element of a list or map
// (then Name is empty).
type Field struct {
	Name     string `json:"Name,omitempty"`
	Kind     Kind   `json:"Kind"`
	Required bool   `json:"Required,omitempty"`
	// Default is the JSON value an absent key decodes as.
	Default json.RawMessage `json:"Default,omitempty"`
	// Min and Max bound an int or uint (the Go field's range).
	Min *int64  `json:"Min,omitempty"`
	Max *uint64 `json:"Max,omitempty"`
	// Elem is the element of a list or map.
	Elem *Field `json:"Elem,omitempty"`
	// Fields are the keys of an object.
	Fields []*Field `json:"Fields,omitempty"`
}

// Struct tags read by Of:
//
//	json:"name"             the key (without one, the Go field name, as
//	                        encoding/json; json:"-" hides a field; an
//	                        untagged embedded struct's fields are lifted)
//	schema:"required"       the key must be present and not null
//	schema:"default=VALUE"  an absent key decodes as VALUE (JSON, or a bare
//	                        string for string and duration fields)
//
// Options combine with commas; a default comes last and may hold commas.
const tagName = "schema"

var durationType = reflect.TypeOf(time.Duration(0))

var cache sync.Map // reflect.Type -> *Schema or error

// Of returns the schema of v, a struct or a pointer to one. It panics on
// nothing: a struct the decoder cannot describe (a channel field, a map with
// non-string keys, a bad default) is an error.
func Of(v any) (*Schema, error) {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("schema: %T is not a struct", v)
	}
	if c, ok := cache.Load(t); ok {
		if err, isErr := c.(error); isErr {
			return nil, err
		}
		return c.(*Schema), nil
	}
	fields, err := structFields(t, t.Name())
	if err != nil {
		cache.Store(t, err)
		return nil, err
	}
	s := &Schema{Fields: fields}
	cache.Store(t, s)
	return s, nil
}

// MustOf is Of for package-level schemas of the driver's own structs.
func MustOf(v any) *Schema {
	s, err := Of(v)
	if err != nil {
		panic(err)
	}
	return s
}

func structFields(t reflect.Type, where string) ([]*Field, error) {
	var out []*Field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" && embeddedStruct(sf.Type) {
			// encoding/json lifts an untagged embedded struct's fields.
			inner, err := structFields(derefType(sf.Type), where+"."+sf.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name // as encoding/json
		}
		f, err := fieldOf(sf.Type, where+"."+sf.Name)
		if err != nil {
			return nil, err
		}
		f.Name = name
		if err := applyTag(f, sf.Tag.Get(tagName), where+"."+sf.Name); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("schema: %s: two fields are named %q", where, out[i].Name)
		}
	}
	return out, nil
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func embeddedStruct(t reflect.Type) bool { return derefType(t).Kind() == reflect.Struct }

func applyTag(f *Field, tag, where string) error {
	for tag != "" {
		var opt string
		if strings.HasPrefix(tag, "default=") {
			opt, tag = tag, ""
		} else {
			opt, tag, _ = strings.Cut(tag, ",")
		}
		switch {
		case opt == "required":
			f.Required = true
		case strings.HasPrefix(opt, "default="):
			def := strings.TrimPrefix(opt, "default=")
			raw := json.RawMessage(def)
			if !json.Valid(raw) && (f.Kind == KindString || f.Kind == KindDuration) {
				raw, _ = json.Marshal(def)
			}
			if errs := checkValue(f, raw, "default"); len(errs) > 0 {
				return fmt.Errorf("schema: %s: bad default %q: %v", where, def, errs)
			}
			f.Default = raw
		default:
			return fmt.Errorf("schema: %s: unknown schema tag option %q", where, opt)
		}
	}
	return nil
}

func fieldOf(t reflect.Type, where string) (*Field, error) {
	if t == durationType {
		return &Field{Kind: KindDuration}, nil
	}
	if t == reflect.TypeOf(json.RawMessage(nil)) {
		return &Field{Kind: KindAny}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fieldOf(t.Elem(), where)
	case reflect.String:
		return &Field{Kind: KindString}, nil
	case reflect.Bool:
		return &Field{Kind: KindBool}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		lo, hi := int64(-1)<<(bits-1), uint64(1)<<(bits-1)-1
		return &Field{Kind: KindInt, Min: &lo, Max: &hi}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		hi := uint64(1)<<(t.Bits()-1)*2 - 1
		return &Field{Kind: KindUint, Max: &hi}, nil
	case reflect.Float32, reflect.Float64:
		return &Field{Kind: KindFloat}, nil
	case reflect.Interface:
		return &Field{Kind: KindAny}, nil
	case reflect.Slice, reflect.Array:
		e, err := fieldOf(t.Elem(), where+"[]")
		if err != nil {
			return nil, err
		}
		return &Field{Kind: KindList, Elem: e}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("schema: %s: map keys must be strings, not %s", where, t.Key())
		}
		e, err := fieldOf(t.Elem(), where+"[]")
		if err != nil {
			return nil, err
		}
		return &Field{Kind: KindMap, Elem: e}, nil
	case reflect.Struct:
		fs, err := structFields(t, where)
		if err != nil {
			return nil, err
		}
		return &Field{Kind: KindObject, Fields: fs}, nil
	}
	return nil, fmt.Errorf("schema: %s: unsupported field type %s", where, t)
}

// String is the schema as JSON.
func (s *Schema) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}
