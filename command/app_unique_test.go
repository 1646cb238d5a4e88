package command

import (
	"io"
	"testing"
)

// TestAppCommandNamesUnique: two commands (or aliases) with one name make
// urfave/cli refuse to run anything, the agent included; a merge that
// lists a command twice must fail here, not at the first `agent` run.
func TestAppCommandNamesUnique(t *testing.T) {
	app := NewApp(io.Discard, io.Discard)
	seen := map[string]bool{}
	for _, c := range app.Commands {
		for _, name := range append([]string{c.Name}, c.Aliases...) {
			if seen[name] {
				t.Errorf("command name %q is listed twice", name)
			}
			seen[name] = true
		}
	}
	if err := app.Run([]string{"nomadlike", "version"}); err != nil {
		t.Fatalf("nomadlike version: %v", err)
	}
}
