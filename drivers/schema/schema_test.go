package schema

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type mount struct {
	Target  string   `json:"target" schema:"required"`
	Options []string `json:"options"`
}

type sample struct {
	Command  string            `json:"command" schema:"required"`
	Args     []string          `json:"args"`
	Seconds  int               `json:"seconds"`
	Big      int64             `json:"big"`
	Small    int8              `json:"small"`
	Count    uint32            `json:"count"`
	Ratio    float64           `json:"ratio"`
	Wait     time.Duration     `json:"wait" schema:"default=5s"`
	Mode     string            `json:"mode" schema:"default=private"`
	Seccomp  *bool             `json:"seccomp"`
	Env      map[string]string `json:"env"`
	Mounts   []mount           `json:"mounts"`
	Extra    json.RawMessage   `json:"extra"`
	internal string            //nolint:unused // unexported fields are not config
	Hidden   string            `json:"-"`
}

func TestDecode(t *testing.T) {
	yes := true
	cases := []struct {
		name string
		in   string
		want sample
		err  string // the whole error text; "" for success
	}{
		{name: "minimal gets defaults", in: `{"command":"x"}`, want: sample{Command: "x", Wait: 5 * time.Second, Mode: "private"}},
		{name: "empty input is an empty object", in: ``, err: `config.command: required`},
		{name: "null is an empty object", in: `null`, err: `config.command: required`},
		{name: "null value counts as absent", in: `{"command":null}`, err: `config.command: required`},
		{name: "json number into int", in: `{"command":"x","seconds":10,"big":9007199254740993}`, want: sample{Command: "x", Seconds: 10, Big: 9007199254740993, Wait: 5 * time.Second, Mode: "private"}},
		{name: "exponent whole number into int", in: `{"command":"x","seconds":1e3}`, want: sample{Command: "x", Seconds: 1000, Wait: 5 * time.Second, Mode: "private"}},
		{name: "string for number", in: `{"command":"x","seconds":"ten"}`, err: `config.seconds: must be a number, got "ten"`},
		{name: "fraction for int", in: `{"command":"x","seconds":1.5}`, err: `config.seconds: must be a whole number, got 1.5`},
		{name: "int8 overflow", in: `{"command":"x","small":200}`, err: `config.small: must be between -128 and 127, got 200`},
		{name: "negative uint", in: `{"command":"x","count":-1}`, err: `config.count: must be between 0 and 4294967295, got -1`},
		{name: "float accepted", in: `{"command":"x","ratio":0.25}`, want: sample{Command: "x", Ratio: 0.25, Wait: 5 * time.Second, Mode: "private"}},
		{name: "number for string", in: `{"command":42}`, err: `config.command: must be a string, got 42`},
		{name: "typo suggests", in: `{"command":"x","arsg":["a"]}`, err: `config.arsg: unknown key (did you mean "args"?)`},
		{name: "unknown key without suggestion", in: `{"command":"x","zzzzzz":1}`, err: `config.zzzzzz: unknown key`},
		{name: "hidden field is unknown", in: `{"command":"x","Hidden":"h"}`, err: `config.Hidden: unknown key`},
		{name: "duration string", in: `{"command":"x","wait":"1m30s"}`, want: sample{Command: "x", Wait: 90 * time.Second, Mode: "private"}},
		{name: "bad duration", in: `{"command":"x","wait":"soon"}`, err: `config.wait: must be a duration like "10s" or "1m30s", got "soon"`},
		{name: "list element type", in: `{"command":"x","args":["a",1]}`, err: `config.args[1]: must be a string, got 1`},
		{name: "list given a string", in: `{"command":"x","args":"a b"}`, err: `config.args: must be a list, got "a b"`},
		{name: "map values", in: `{"command":"x","env":{"A":"1","B":true}}`, err: `config.env["B"]: must be a string, got true`},
		{name: "nested required and unknown", in: `{"command":"x","mounts":[{"targte":"/a"}]}`, err: `config.mounts[0].target: required; config.mounts[0].targte: unknown key (did you mean "target"?)`},
		{name: "nested ok", in: `{"command":"x","mounts":[{"target":"/a","options":["ro"]}],"seccomp":true,"env":{"A":"1"}}`,
			want: sample{Command: "x", Mounts: []mount{{Target: "/a", Options: []string{"ro"}}}, Seccomp: &yes, Env: map[string]string{"A": "1"}, Wait: 5 * time.Second, Mode: "private"}},
		{name: "raw field takes anything", in: `{"command":"x","extra":{"k":[1,2]}}`, want: sample{Command: "x", Extra: json.RawMessage(`{"k":[1,2]}`), Wait: 5 * time.Second, Mode: "private"}},
		{name: "every problem sorted", in: `{"seconds":"a","args":1}`, err: `config.args: must be a list, got 1; config.command: required; config.seconds: must be a number, got "a"`},
		{name: "not an object", in: `[1]`, err: `config: must be an object, got a list`},
		{name: "bad json", in: `{"command":`, err: `config: must be a JSON object: unexpected EOF`},
		{name: "trailing data", in: `{} {}`, err: `config: must be a JSON object: data after the JSON value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got sample
			err := Decode([]byte(tc.in), "config", &got)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Decode(%s) error = %v, want %q", tc.in, err, tc.err)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Decode(%s) error %v does not match ErrInvalid", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s) = %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode(%s) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestCheckFromPublishedSchema(t *testing.T) {
	// The servers see the schema only as JSON: the round trip must check alike.
	b, err := json.Marshal(MustOf(sample{}))
	if err != nil {
		t.Fatal(err)
	}
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, in, err string }{
		{"valid", `{"command":"x","seconds":3}`, ""},
		{"bad number", `{"command":"x","seconds":"ten"}`, `task.seconds: must be a number, got "ten"`},
		{"typo", `{"comand":"x"}`, `task.comand: unknown key (did you mean "command"?)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Check([]byte(tc.in), "task")
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v", tc.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Check(%s) = %v, want %q", tc.in, err, tc.err)
			}
		})
	}
}

func TestOfRejects(t *testing.T) {
	cases := []struct {
		name string
		v    any
		err  string
	}{
		{"not a struct", 3, "is not a struct"},
		{"int map keys", struct {
			M map[int]string `json:"m"`
		}{}, "map keys must be strings"},
		{"channel", struct {
			C chan int `json:"c"`
		}{}, "unsupported field type"},
		{"bad default", struct {
			N int `json:"n" schema:"default=many"`
		}{}, "bad default"},
		{"duplicate name", struct {
			X string // named "X" as encoding/json
			Y string `json:"X"`
		}{}, `two fields are named "X"`},
		{"unknown option", struct {
			N int `json:"n" schema:"requird"`
		}{}, `unknown schema tag option "requird"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Of(tc.v)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Of(%T) = %v, want %q", tc.v, err, tc.err)
			}
		})
	}
}

type Common struct {
	Debug bool `json:"debug"`
}

type withEmbedded struct {
	Common
	Plain string
	Name  string `json:"name,omitempty"`
}

func TestOfNamesAsEncodingJSON(t *testing.T) {
	s, err := Of(withEmbedded{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	if want := []string{"Plain", "debug", "name"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("Of(withEmbedded) names = %q, want %q", names, want)
	}
	var got withEmbedded
	if err := Decode([]byte(`{"debug":true,"Plain":"p","name":"n"}`), "config", &got); err != nil || !got.Debug || got.Plain != "p" || got.Name != "n" {
		t.Fatalf("Decode = %+v, %v", got, err)
	}
}

func TestSuggest(t *testing.T) {
	fields := []*Field{{Name: "image"}, {Name: "command"}, {Name: "args"}}
	cases := []struct{ in, want string }{
		{"imgae", "image"}, {"Image", "image"}, {"comand", "command"}, {"xyz", ""}, {"a", ""},
	}
	for _, tc := range cases {
		if got := suggest(tc.in, fields); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzDecode: any input either decodes or fails with field errors, never
// panics, and a decoded config re-encodes to a config that decodes alike.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"command":"x"}`, `{"seconds":"ten"}`, `{"mounts":[{"target":"/"}]}`, `{"wait":"1s","big":1e18}`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got sample
		err := Decode([]byte(in), "config", &got)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%q) error %v is not a field error", in, err)
			}
			return
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var again sample
		if err := Decode(b, "config", &again); err != nil {
			t.Fatalf("re-decode of %s: %v", b, err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("re-decode of %s = %+v, want %+v", b, again, got)
		}
	})
}
