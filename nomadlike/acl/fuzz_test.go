package acl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that it either returns a policy
// or an ErrInvalidPolicy error with positioned diagnostics, and that every
// policy it returns compiles.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hcl")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		`namespace { policy = "read" }`,
		`namespace "a*b" { capabilities = ["deny", "read-fs"] }`,
		"namespace \"x\" {\n  variables {\n    path \"*\" { capabilities = [\"write\"] }\n  }\n}",
		`host_volume "*" { policy = "write" }`,
		`plugin { policy = "list" }`,
		`node { policy = "${var.x}" }`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz", src)
		if err != nil {
			var pe *ParseError
			if !errors.Is(err, ErrInvalidPolicy) || !errors.As(err, &pe) || len(pe.Diagnostics) == 0 {
				t.Fatalf("Parse error %v (%T) is not a *ParseError with diagnostics", err, err)
			}
			return
		}
		a, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile(Parse(%q)): %v", src, err)
		}
		a.AllowNamespaceOperation("default", NamespaceCapabilityReadJob)
		a.AllowVariableOperation("default", "a/b", VariablesCapabilityRead)
	})
}
