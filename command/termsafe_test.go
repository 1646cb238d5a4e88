package command

import (
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// evil is what a hostile or old server could hand the CLI: a clear-screen
// escape, a carriage return that rewrites the line, a bidi override that
// reverses what follows, a newline and a tab that fake rows and columns,
// and an invalid byte.
const evil = "evil\x1b[2J\rX\u202egnp.exe\nfake row\tcol\xff"

// assertTerminalSafe fails when out holds a raw control or bidi
// character other than the CLI's own newlines and tabs.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if (nomadlike.UnsafeRune(r) && r != '\n' && r != '\t') || (r == 0xfffd && strings.HasPrefix(out[i:], "\xff")) {
			t.Fatalf("%s prints U+%04X raw at byte %d:\n%q", what, r, i, out)
		}
	}
	if strings.Contains(out, "fake row") && strings.Contains(out, "\nfake row") {
		t.Errorf("%s lets a value start a line of its own:\n%s", what, out)
	}
}

// TestHumanOutputEscapesControlCharacters: an agent whose answers carry
// ESC, CR, U+202E, newlines and tabs in job, group, task, node and event
// fields (stored behind validation, as a hostile or older server might)
// does not reach the terminal through job, alloc and node status or
// errors; the -json output stays byte-exact.
func TestHumanOutputEscapesControlCharacters(t *testing.T) {
	cl := newCluster(t)
	job := fixture.Job()
	job.ID, job.Name = "evil", evil
	job.TaskGroups[0].Name = "web" + evil
	job.TaskGroups[0].Tasks[0].Name = "app" + evil
	job.Canonicalize()
	node := fixture.Node()
	node.Name, node.Datacenter = "node"+evil, "dc"+evil
	if _, _, err := cl.fake.RegisterNode(node, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.fake.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertJob(index, job) }); err != nil {
		t.Fatal(err)
	}
	alloc := fixture.Alloc(job, node, 0)
	alloc.ClientStatus = nomadlike.AllocClientStatusFailed
	alloc.ClientDescription = "desc" + evil
	alloc.TaskStates = map[string]*nomadlike.TaskState{job.TaskGroups[0].Tasks[0].Name: {
		State: "dead", Failed: true,
		Events: []*nomadlike.TaskEvent{{Type: "Driver Failure" + evil, Time: 1, DisplayMessage: "msg" + evil, DriverError: "drv" + evil}},
	}}
	cl.fake.PutAlloc(alloc)

	for _, tc := range []struct {
		args []string
		// shows: the output holds an evil field, so it must show escapes.
		shows bool
	}{
		{[]string{"job status"}, false}, // lists IDs only
		{[]string{"job status", "evil"}, true},
		{[]string{"job status", "-verbose", "evil"}, true},
		{[]string{"alloc status", alloc.ID}, true},
		{[]string{"alloc status", "-verbose", alloc.ID}, true},
		{[]string{"node status"}, true},
		{[]string{"node status", node.ID}, true},
		{[]string{"job status", "nosuch" + evil}, false},
		{[]string{"alloc status", "nosuch" + evil}, false},
	} {
		_, out, errOut := cl.cli(t, "", tc.args[0], tc.args[1:]...)
		what := strings.Join(tc.args, " ")
		assertTerminalSafe(t, what+" (stdout)", out)
		assertTerminalSafe(t, what+" (stderr)", errOut)
		if tc.shows && !strings.Contains(out, `\x1b`) && !strings.Contains(out, `\u202e`) {
			t.Errorf("%s shows no escaped value; did it print the fields?\n%s", what, out)
		}
	}

	// -json is the API's answer byte for byte (encoding/json escapes the
	// C0 controls itself; U+202E passes as it is).
	code, out, errOut := cl.cli(t, "", "job inspect", "evil")
	if code != 0 || !strings.Contains(out, "\u202e") || !strings.Contains(out, `\u001b`) {
		t.Fatalf("job inspect = %d, want the raw JSON with U+202E:\n%s%s", code, out, errOut)
	}
}

func TestEscapeUnsafe(t *testing.T) {
	cases := []struct{ in, cell, stream string }{
		{"plain", "plain", "plain"},
		{"a\x1bb", `a\x1bb`, `a\x1bb`},
		{"a\rb", `a\rb`, `a\rb`},
		{"a\nb\tc", `a\nb\tc`, "a\nb\tc"},
		{"\u202eabc", `\u202eabc`, `\u202eabc`},
		{"\u009b", `\u009b`, `\u009b`},
		{"a\xffb", `a\xffb`, `a\xffb`},
		{"naïve 日本", "naïve 日本", "naïve 日本"},
	}
	for _, tc := range cases {
		if got := cell(tc.in); got != tc.cell {
			t.Errorf("cell(%q) = %q, want %q", tc.in, got, tc.cell)
		}
		var b strings.Builder
		(&safeWriter{raw: &b}).Write([]byte(tc.in))
		if got := b.String(); got != tc.stream {
			t.Errorf("safeWriter.Write(%q) wrote %q, want %q", tc.in, got, tc.stream)
		}
	}
}
