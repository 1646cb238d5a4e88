package nomadlike_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestJobNameRules: IDs and names that would steer a path on a client or
// a terminal are refused, each error naming its field and what is wrong,
// without the offending characters.
func TestJobNameRules(t *testing.T) {
	long := strings.Repeat("a", nomadlike.MaxNameLength+1)
	cases := []struct {
		name   string
		mutate func(j *nomadlike.Job)
		want   string // "" for valid; else the one expected error
	}{
		{name: "plain", mutate: func(*nomadlike.Job) {}},
		{name: "unicode letters are fine", mutate: func(j *nomadlike.Job) { j.ID, j.Name = "café-日本", "café 日本" }},
		{name: "dot-dot ID", mutate: func(j *nomadlike.Job) { j.ID = ".." }, want: `ID: must not be ".."`},
		{name: "dot ID", mutate: func(j *nomadlike.Job) { j.ID = "." }, want: `ID: must not be "."`},
		{name: "slash in ID", mutate: func(j *nomadlike.Job) { j.ID = "a/b" }, want: `ID: contains '/' at byte 1`},
		{name: "backslash in ID", mutate: func(j *nomadlike.Job) { j.ID = `a\b` }, want: `ID: contains '\\' at byte 1`},
		{name: "ESC in ID", mutate: func(j *nomadlike.Job) { j.ID = "abc\x1b[2J" }, want: "ID: contains control character U+001B at byte 3"},
		{name: "CR in ID", mutate: func(j *nomadlike.Job) { j.ID = "ok\rfake" }, want: "ID: contains control character U+000D at byte 2"},
		{name: "NUL in ID", mutate: func(j *nomadlike.Job) { j.ID = "a\x00" }, want: "ID: contains control character U+0000 at byte 1"},
		{name: "C1 CSI in ID", mutate: func(j *nomadlike.Job) { j.ID = "a\u009b2J" }, want: "ID: contains control character U+009B at byte 1"},
		{name: "bidi override in ID", mutate: func(j *nomadlike.Job) { j.ID = "\u202egnp.exe" }, want: "ID: contains format character U+202E at byte 0"},
		{name: "zero-width joiner in ID", mutate: func(j *nomadlike.Job) { j.ID = "a\u200db" }, want: "ID: contains format character U+200D at byte 1"},
		{name: "line separator in ID", mutate: func(j *nomadlike.Job) { j.ID = "a\u2028b" }, want: "ID: contains separator U+2028 at byte 1"},
		{name: "invalid UTF-8 in ID", mutate: func(j *nomadlike.Job) { j.ID = "a\xffb" }, want: "ID: is not valid UTF-8 at byte 1"},
		{name: "space in ID", mutate: func(j *nomadlike.Job) { j.ID = "a b" }, want: "ID: contains a space at byte 1"},
		{name: "long ID", mutate: func(j *nomadlike.Job) { j.ID = long }, want: "ID: is 129 bytes long, more than 128"},
		{name: "ESC in name", mutate: func(j *nomadlike.Job) { j.Name = "x\x1b" }, want: "Name: contains control character U+001B at byte 1"},
		{name: "task dot-dot path", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Name = "../../x" },
			want: `TaskGroups[web].Tasks[0].Name: contains '/' at byte 2`},
		{name: "task dot-dot", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Name = ".." },
			want: `TaskGroups[web].Tasks[0].Name: must not be ".."`},
		{name: "task bidi", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Name = "app\u202e" },
			want: "TaskGroups[web].Tasks[0].Name: contains format character U+202E at byte 3"},
		{name: "task with a space is fine", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Name = "my app" }},
		{name: "group slash", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Name = "w/eb" },
			want: `TaskGroups[0].Name: contains '/' at byte 1`},
		{name: "namespace", mutate: func(j *nomadlike.Job) { j.Namespace = "a_b" },
			want: `Namespace: contains '_' at byte 1; a namespace has only letters, digits and dashes`},
		{name: "region", mutate: func(j *nomadlike.Job) { j.Region = "eu\x1b" }, want: "Region: contains control character U+001B at byte 2"},
		{name: "datacenter", mutate: func(j *nomadlike.Job) { j.Datacenters = []string{"dc1", "../dc"} },
			want: "Datacenters[1]: contains '/' at byte 2"},
		{name: "meta key with ESC", mutate: func(j *nomadlike.Job) { j.Meta = map[string]string{"k\x1b": "v"} },
			want: `Meta["k\x1b"]: key contains control character U+001B at byte 1`},
		{name: "meta key with =", mutate: func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Meta = map[string]string{"a=b": "v"} },
			want: `TaskGroups[web].Tasks[app].Meta["a=b"]: key contains '='`},
		{name: "meta value may hold anything", mutate: func(j *nomadlike.Job) { j.Meta = map[string]string{"k": "line1\nline2"} }},
		{name: "child ID", mutate: func(j *nomadlike.Job) { j.ParentID, j.ID, j.Name = "web", "web/dispatch-1-abcd", "web/dispatch-1-abcd" }},
		{name: "child ID escaping its parent", mutate: func(j *nomadlike.Job) { j.ParentID, j.ID = "web", "web/../x" },
			want: `ID: the part after "web/" contains '/' at byte 2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fixture.Job()
			tc.mutate(j)
			err := j.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *nomadlike.ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 {
				t.Fatalf("Validate() = %v, want exactly %q", err, tc.want)
			}
			if got := ve.Errors[0].String(); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("Validate() = %q, want %q", got, tc.want)
			}
			for _, r := range err.Error() {
				if nomadlike.UnsafeRune(r) && r != '\n' {
					t.Fatalf("the error %q carries U+%04X", err, r)
				}
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, s := range []string{"", ".", "..", "a/b", "a\x1b", "a\u202e"} {
		if err := nomadlike.CheckName(s); !errors.Is(err, nomadlike.ErrBadName) {
			t.Errorf("CheckName(%q) = %v, want ErrBadName", s, err)
		}
	}
	for _, s := range []string{"dc1", "eu-west 1", "node.example.com"} {
		if err := nomadlike.CheckName(s); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", s, err)
		}
	}
}
