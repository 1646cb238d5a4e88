package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Check checks a config's JSON (an object; empty or null is {}) against the
// schema. It returns every problem, sorted by path, with paths under prefix
// ("config"); nil when the config is valid.
func (s *Schema) Check(raw []byte, prefix string) error {
	_, errs := s.normalize(raw, prefix)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// normalize checks raw and returns it as JSON with defaults filled in,
// durations as nanoseconds and whole numbers in plain integer form, ready for
// encoding/json to decode into the schema's struct.
func (s *Schema) normalize(raw []byte, prefix string) ([]byte, Errors) {
	v, err := parse(raw)
	if err != nil {
		return nil, Errors{{Path: prefix, Problem: "must be a JSON object: " + err.Error()}}
	}
	if v == nil {
		v = map[string]any{}
	}
	root := &Field{Kind: KindObject, Fields: s.Fields}
	out, errs := walk(root, v, prefix)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
		return nil, errs
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, Errors{{Path: prefix, Problem: err.Error()}}
	}
	return b, nil
}

// parse decodes one JSON value keeping numbers as json.Number.
func parse(raw []byte) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// checkValue checks one JSON value against f (used for defaults).
func checkValue(f *Field, raw json.RawMessage, path string) Errors {
	v, err := parse(raw)
	if err != nil {
		return Errors{{Path: path, Problem: err.Error()}}
	}
	_, errs := walk(f, v, path)
	return errs
}

// walk checks v (never nil) against f and returns its normalized form.
func walk(f *Field, v any, path string) (any, Errors) {
	bad := func(want string) (any, Errors) {
		return nil, Errors{{Path: path, Problem: "must be " + want + ", got " + describe(v)}}
	}
	switch f.Kind {
	case KindAny:
		return v, nil
	case KindString:
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
		return v, nil
	case KindBool:
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
		return v, nil
	case KindDuration:
		return walkDuration(v, path)
	case KindInt, KindUint, KindFloat:
		n, ok := v.(json.Number)
		if !ok {
			return bad("a number")
		}
		return walkNumber(f, n, path)
	case KindList:
		l, ok := v.([]any)
		if !ok {
			return bad("a list")
		}
		return walkList(f, l, path)
	case KindMap:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("an object")
		}
		return walkMap(f, m, path)
	case KindObject:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("an object")
		}
		return walkObject(f, m, path)
	}
	return nil, Errors{{Path: path, Problem: fmt.Sprintf("schema has unknown kind %q", f.Kind)}}
}

func walkDuration(v any, path string) (any, Errors) {
	switch d := v.(type) {
	case string:
		dur, err := time.ParseDuration(d)
		if err != nil {
			return nil, Errors{{Path: path, Problem: fmt.Sprintf("must be a duration like \"10s\" or \"1m30s\", got %s", describe(v))}}
		}
		return json.Number(strconv.FormatInt(int64(dur), 10)), nil
	case json.Number: // nanoseconds, as Go's JSON encodes a time.Duration
		if _, err := strconv.ParseInt(string(d), 10, 64); err != nil {
			return nil, Errors{{Path: path, Problem: "must be a duration like \"10s\", got " + describe(v)}}
		}
		return d, nil
	}
	return nil, Errors{{Path: path, Problem: "must be a duration like \"10s\", got " + describe(v)}}
}

func walkNumber(f *Field, n json.Number, path string) (any, Errors) {
	if f.Kind == KindFloat {
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return nil, Errors{{Path: path, Problem: "must be a number, got " + string(n) + " (out of range)"}}
		}
		return n, nil
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok || !r.IsInt() {
		return nil, Errors{{Path: path, Problem: "must be a whole number, got " + string(n)}}
	}
	i := r.Num()
	lo := big.NewInt(0)
	if f.Min != nil {
		lo = big.NewInt(*f.Min)
	}
	hi := new(big.Int).SetUint64(math.MaxUint64)
	if f.Max != nil {
		hi = new(big.Int).SetUint64(*f.Max)
	}
	if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
		return nil, Errors{{Path: path, Problem: fmt.Sprintf("must be between %s and %s, got %s", lo, hi, n)}}
	}
	return json.Number(i.String()), nil
}

func walkList(f *Field, l []any, path string) (any, Errors) {
	out := make([]any, 0, len(l))
	var errs Errors
	for i, e := range l {
		p := fmt.Sprintf("%s[%d]", path, i)
		if e == nil {
			errs = append(errs, &FieldError{Path: p, Problem: "must not be null"})
			continue
		}
		v, es := walk(f.Elem, e, p)
		errs = append(errs, es...)
		out = append(out, v)
	}
	return out, errs
}

func walkMap(f *Field, m map[string]any, path string) (any, Errors) {
	out := make(map[string]any, len(m))
	var errs Errors
	for k, e := range m {
		p := fmt.Sprintf("%s[%q]", path, k)
		if e == nil {
			errs = append(errs, &FieldError{Path: p, Problem: "must not be null"})
			continue
		}
		v, es := walk(f.Elem, e, p)
		errs = append(errs, es...)
		out[k] = v
	}
	return out, errs
}

func walkObject(f *Field, m map[string]any, path string) (any, Errors) {
	out := make(map[string]any, len(f.Fields))
	var errs Errors
	known := make(map[string]bool, len(f.Fields))
	for _, sub := range f.Fields {
		known[sub.Name] = true
		p := path + "." + sub.Name
		v, present := m[sub.Name]
		if !present || v == nil {
			switch {
			case sub.Required:
				errs = append(errs, &FieldError{Path: p, Problem: "required"})
			case sub.Default != nil:
				dv, _ := parse(sub.Default)
				nv, es := walk(sub, dv, p)
				errs = append(errs, es...)
				out[sub.Name] = nv
			}
			continue
		}
		nv, es := walk(sub, v, p)
		errs = append(errs, es...)
		out[sub.Name] = nv
	}
	for k := range m {
		if known[k] {
			continue
		}
		problem := "unknown key"
		if s := suggest(k, f.Fields); s != "" {
			problem += fmt.Sprintf(" (did you mean %q?)", s)
		}
		errs = append(errs, &FieldError{Path: path + "." + k, Problem: problem})
	}
	return out, errs
}

// describe renders a bad value for an error: strings quoted and cut short,
// numbers and booleans as written, lists and objects by kind.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// suggest returns the known key closest to an unknown one, when it is
// close enough to be a typo.
func suggest(key string, fields []*Field) string {
	best, bestD := "", 3
	lk := strings.ToLower(key)
	for _, f := range fields {
		d := distance(lk, strings.ToLower(f.Name))
		if d < bestD && d <= len(f.Name)/2 {
			best, bestD = f.Name, d
		}
	}
	return best
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
