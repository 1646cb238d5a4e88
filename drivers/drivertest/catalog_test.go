package drivertest

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the case table in website/writing-a-driver.md")

func TestCheckSkips(t *testing.T) {
	cases := []struct {
		name    string
		skip    map[string]string
		wantErr string
	}{
		{name: "none"},
		{name: "a case", skip: map[string]string{"signals/stop_graceful": "why"}},
		{name: "a group", skip: map[string]string{"exec": "why"}},
		{name: "a bare case name", skip: map[string]string{"stop_graceful": "why"}, wantErr: `"stop_graceful" name no case or group`},
		{name: "a misspelled case", skip: map[string]string{"signals/stop_gracefull": "why"}, wantErr: `"signals/stop_gracefull"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSkips(tc.skip)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("checkSkips = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("checkSkips = %v, want an error containing %s", err, tc.wantErr)
			}
		})
	}
}

func TestCaseNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range catalog() {
		if seen[g.name] {
			t.Errorf("group %q twice", g.name)
		}
		seen[g.name] = true
		for _, c := range g.cases {
			if seen[c.name] || strings.ContainsAny(c.name, "/ ") {
				t.Errorf("case %q: twice, a group's name, or not a plain name", c.name)
			}
			seen[c.name] = true
		}
	}
}

const (
	docPath  = "../../website/writing-a-driver.md"
	docBegin = "<!-- BEGIN drivertest cases (go test ./drivertest -run TestCatalogDocumented -update) -->\n"
	docEnd   = "<!-- END drivertest cases -->\n"
)

// docTable is the markdown table of every case.
func docTable() string {
	var b strings.Builder
	b.WriteString("| Skip key (`group/case`) | Needs ShellTask | What it checks |\n|---|---|---|\n")
	for _, g := range catalog() {
		for _, c := range g.cases {
			shell := "no"
			if c.shell {
				shell = "yes"
			}
			fmt.Fprintf(&b, "| `%s/%s` | %s | %s |\n", g.name, c.name, shell, c.doc)
		}
	}
	return b.String()
}

// The page's case table is the catalog: it cannot drift. (Outside the
// repository, from the module cache, the page is not there: skipped.)
func TestCatalogDocumented(t *testing.T) {
	page, err := os.ReadFile(docPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s: not in this checkout", docPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	i, j := strings.Index(s, docBegin), strings.Index(s, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q", docPath, docBegin, docEnd)
	}
	want := s[:i] + docBegin + docTable() + docEnd + s[j+len(docEnd):]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the case table differs from the suite; run go test ./drivertest -run TestCatalogDocumented -update (in drivers/)", docPath)
}
