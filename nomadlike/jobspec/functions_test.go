package jobspec_test

import (
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

func TestHashFunctions(t *testing.T) {
	cases := []struct {
		name, expr, want string
	}{
		{name: "uuidv5 dns", expr: `uuidv5("dns", "www.example.com")`, want: "2ed6657d-e927-568b-95e1-2665a8aea6a2"},
		{name: "uuidv5 uuid namespace", expr: `uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")`, want: "2ed6657d-e927-568b-95e1-2665a8aea6a2"},
		{name: "sha256", expr: `sha256("abc")`, want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{name: "md5", expr: `md5("abc")`, want: "900150983cd24fb0d6963f7d28e17f72"},
		{name: "urlencode", expr: `urlencode("a b&c")`, want: "a+b%26c"},
		{name: "uuidv4 shape", expr: `length(split("-", uuidv4()))`, want: "5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := task(`      driver = "exec"` + "\n" + `      resources {` + "\n" + `        cpu = 100` + "\n" + `      }` + "\n" + `      meta {` + "\n" + `        v = ` + tc.expr + "\n" + `      }`)
			job, err := jobspec.Parse("f.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			if got := job.TaskGroups[0].Tasks[0].Meta["v"]; got != tc.want {
				t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
	_, err := jobspec.Parse("f.nomad.hcl", []byte(task(`      driver = "exec"`+"\n"+`      meta {`+"\n"+`        v = uuidv5("nope", "x")`+"\n"+`      }`)), &jobspec.ParseOptions{Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "namespace must be dns, url, oid, x500 or a UUID") {
		t.Errorf("uuidv5 with a bad namespace = %v, want an error naming the namespaces", err)
	}
}
