package acl

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

var (
	wantRead = []string{
		"csi-list-volume", "csi-read-volume", "host-volume-read", "list-jobs", "list-scaling-policies",
		"parse-job", "read-job", "read-job-scaling", "read-scaling-policy",
	}
	wantWrite = []string{
		"alloc-exec", "alloc-lifecycle", "csi-list-volume", "csi-mount-volume", "csi-read-volume",
		"csi-write-volume", "dispatch-job", "host-volume-create", "host-volume-delete", "host-volume-read",
		"host-volume-register", "host-volume-write", "list-jobs", "list-scaling-policies", "parse-job",
		"read-fs", "read-job", "read-job-scaling", "read-logs", "read-scaling-policy", "scale-job",
		"submit-job", "submit-recommendation",
	}
	wantScale = []string{"list-scaling-policies", "read-job-scaling", "read-scaling-policy", "scale-job"}
)

func TestParseNamespace(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *NamespaceRule
	}{
		{"read shorthand", `namespace "dev" { policy = "read" }`,
			&NamespaceRule{Name: "dev", Policy: "read", Capabilities: wantRead}},
		{"write shorthand", `namespace "dev" { policy = "write" }`,
			&NamespaceRule{Name: "dev", Policy: "write", Capabilities: wantWrite}},
		{"scale shorthand", `namespace "dev" { policy = "scale" }`,
			&NamespaceRule{Name: "dev", Policy: "scale", Capabilities: wantScale}},
		{"deny shorthand", `namespace "dev" { policy = "deny" }`,
			&NamespaceRule{Name: "dev", Policy: "deny", Capabilities: []string{"deny"}}},
		{"no label is default", `namespace { capabilities = ["parse-job"] }`,
			&NamespaceRule{Name: "default", Capabilities: []string{"parse-job"}}},
		{"glob label", `namespace "prod-*" { capabilities = ["list-jobs"] }`,
			&NamespaceRule{Name: "prod-*", Capabilities: []string{"csi-list-volume", "list-jobs"}}},
		{"policy and capabilities merge", `namespace "default" {
  policy       = "read"
  capabilities = ["submit-job"]
}`, &NamespaceRule{Name: "default", Policy: "read", Capabilities: append(append([]string{}, wantRead...), "submit-job")}},
		{"read-fs implies read-logs", `namespace "a" { capabilities = ["read-fs"] }`,
			&NamespaceRule{Name: "a", Capabilities: []string{"read-fs", "read-logs"}}},
		{"csi implications", `namespace "a" { capabilities = ["csi-mount-volume"] }`,
			&NamespaceRule{Name: "a", Capabilities: []string{"csi-list-volume", "csi-mount-volume", "csi-read-volume"}}},
		{"host-volume-write implications", `namespace "a" { capabilities = ["host-volume-write"] }`,
			&NamespaceRule{Name: "a", Capabilities: []string{"host-volume-create", "host-volume-delete",
				"host-volume-read", "host-volume-register", "host-volume-write"}}},
		{"host-volume-register implications", `namespace "a" { capabilities = ["host-volume-register"] }`,
			&NamespaceRule{Name: "a", Capabilities: []string{"host-volume-create", "host-volume-read", "host-volume-register"}}},
		{"duplicates removed", `namespace "a" { capabilities = ["alloc-node-exec", "alloc-node-exec"] }`,
			&NamespaceRule{Name: "a", Capabilities: []string{"alloc-node-exec"}}},
		{"variables", `namespace "dev" {
  variables {
    path "project/*" { capabilities = ["write", "destroy"] }
    path "system/*" { capabilities = ["read"] }
    path "secret" { capabilities = ["deny"] }
  }
}`, &NamespaceRule{Name: "dev", Capabilities: []string{}, Variables: []*VariablesPathRule{
			{Path: "project/*", Capabilities: []string{"destroy", "list", "write"}},
			{Path: "system/*", Capabilities: []string{"list", "read"}},
			{Path: "secret", Capabilities: []string{"deny"}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("p", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(p.Namespaces) != 1 {
				t.Fatalf("Parse: %d namespace rules, want 1", len(p.Namespaces))
			}
			if got := p.Namespaces[0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) namespace = %+v, want %+v", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseOtherRules(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Policy
	}{
		{"node agent operator quota", `
node     { policy = "read" }
agent    { policy = "write" }
operator { policy = "deny" }
quota    { policy = "read" }`, &Policy{Name: "p", Node: "read", Agent: "write", Operator: "deny", Quota: "read"}},
		{"plugin list", `plugin { policy = "list" }`, &Policy{Name: "p", Plugin: "list"}},
		{"plugin write", `plugin { policy = "write" }`, &Policy{Name: "p", Plugin: "write"}},
		{"host volumes", `
host_volume "*" { policy = "write" }
host_volume "prod-*" { policy = "deny" }
host_volume "prod-ca-certificates" { policy = "read" }
host_volume "scratch" { capabilities = ["mount-readwrite"] }`, &Policy{Name: "p", HostVolumes: []*HostVolumeRule{
			{Name: "*", Policy: "write", Capabilities: []string{"mount-readonly", "mount-readwrite"}},
			{Name: "prod-*", Policy: "deny", Capabilities: []string{"deny"}},
			{Name: "prod-ca-certificates", Policy: "read", Capabilities: []string{"mount-readonly"}},
			{Name: "scratch", Capabilities: []string{"mount-readonly", "mount-readwrite"}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("p", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseTestdata(t *testing.T) {
	for _, name := range []string{"docs-example.hcl", "operator.hcl"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(name, src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if _, err := Compile(p); err != nil {
				t.Fatalf("Compile: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each diagnostic, in order; matched as a prefix
	}{
		{"hcl syntax", "namespace \"a\" {\n  policy = \n}", []string{"p:2:12: Invalid expression"}},
		{"json", `{"namespace": {"default": {"policy": "read"}}}`, []string{"p:1:1: JSON policies are not supported"}},
		{"empty", "", []string{"p:1:1: the policy has no rules"}},
		{"unknown block", "namespace \"a\" { policy = \"read\" }\nfoo {}", []string{`p:2:1: unknown block type "foo" in an ACL policy`}},
		{"top-level attribute", `policy = "read"`, []string{`p:1:1: unknown attribute "policy" in an ACL policy; it takes no attributes`}},
		{"unknown attribute", `namespace "a" { polcy = "read" }`, []string{`p:1:17: unknown attribute "polcy" in a namespace block; want "policy", "capabilities"`}},
		{"bad namespace policy", `namespace "a" { policy = "list" }`, []string{`p:1:26: invalid namespace policy "list"; want one of "deny", "read", "write", "scale"`}},
		{"bad node policy", `node { policy = "scale" }`, []string{`p:1:17: invalid node policy "scale"; want one of "deny", "read", "write"`}},
		{"bad plugin policy", `plugin { policy = "scale" }`, []string{`p:1:19: invalid plugin policy "scale"; want one of "deny", "list", "read", "write"`}},
		{"host volume mount is not a policy", `host_volume "v" { policy = "mount" }`, []string{`p:1:28: invalid host_volume policy "mount"`}},
		{"node needs policy", `node {}`, []string{`p:1:1: node block needs policy`}},
		{"unknown capability", "namespace \"a\" {\n  capabilities = [\"read-job\", \"run-as-root\"]\n}",
			[]string{`p:2:31: unknown namespace capability "run-as-root"`}},
		{"unknown host volume capability", `host_volume "v" { capabilities = ["read-job"] }`,
			[]string{`p:1:35: unknown host_volume capability "read-job"`}},
		{"unknown variables capability", "namespace \"a\" {\n  variables {\n    path \"*\" { capabilities = [\"admin\"] }\n  }\n}",
			[]string{`p:3:32: unknown variables path capability "admin"`}},
		{"capabilities not a list", `namespace "a" { capabilities = "read-job" }`, []string{`p:1:32: capabilities must be a list of strings`}},
		{"capability not a string", `namespace "a" { capabilities = [1] }`, []string{`p:1:33: capabilities must be a list of strings`}},
		{"policy not a string", `namespace "a" { policy = ["read"] }`, []string{`p:1:26: want a string`}},
		{"variable reference", `namespace "a" { policy = var.p }`, []string{`p:1:26: Variables not allowed`}},
		{"bad namespace label", `namespace "has a space" { policy = "read" }`, []string{`p:1:11: invalid namespace "has a space"`}},
		{"two labels", `namespace "a" "b" { policy = "read" }`, []string{`p:1:15: namespace block takes one label, found 2`}},
		{"bad host volume label", `host_volume "a b" { policy = "read" }`, []string{`p:1:13: invalid host volume name "a b"`}},
		{"bad variables path", "namespace \"a\" {\n  variables {\n    path \"../x y\" { capabilities = [\"read\"] }\n  }\n}",
			[]string{`p:3:10: invalid variables path "../x y"`}},
		{"host volume needs label", `host_volume { policy = "read" }`, []string{`p:1:1: host_volume block needs a label`}},
		{"node takes no label", `node "x" { policy = "read" }`, []string{`p:1:6: node block takes no label`}},
		{"duplicate node", "node { policy = \"read\" }\nnode { policy = \"write\" }", []string{`p:2:1: duplicate node rule (a policy takes one); the first is at p:1:1`}},
		{"duplicate namespace", "namespace \"a\" { policy = \"read\" }\nnamespace \"a\" { policy = \"write\" }", []string{`p:2:1: duplicate namespace "a" block; the first is at p:1:1`}},
		{"duplicate default namespace", "namespace { policy = \"read\" }\nnamespace \"default\" { policy = \"write\" }", []string{`p:2:1: duplicate namespace "default" block`}},
		{"unknown block in namespace", "namespace \"a\" {\n  job {}\n}", []string{`p:2:3: unknown block type "job" in a namespace block; want variables`}},
		{"two variables blocks", "namespace \"a\" {\n variables {\n  path \"*\" { capabilities = [\"read\"] }\n }\n variables {\n  path \"*\" { capabilities = [\"read\"] }\n }\n}",
			[]string{`p:5:2: duplicate variables block`}},
		{"variables without paths", "namespace \"a\" {\n  variables {}\n}", []string{`p:2:3: variables block has no path blocks`}},
		{"path without capabilities", "namespace \"a\" {\n  variables {\n    path \"x\" {}\n  }\n}", []string{`p:3:5: path "x" block needs capabilities`}},
		{"duplicate path", `namespace "a" {
  variables {
    path "x" { capabilities = ["read"] }
    path "x" { capabilities = ["list"] }
  }
}`, []string{`p:4:5: duplicate path "x" block`}},
		{"several errors in source order", "node { policy = \"x\" }\nagent { policy = \"y\" }\nbogus {}", []string{
			`p:1:17: invalid node policy "x"`, `p:2:18: invalid agent policy "y"`, `p:3:1: unknown block type "bogus"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p", []byte(tt.src))
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Parse(%q) error = %v, want ErrInvalidPolicy", tt.src, err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %T is not a *ParseError", err)
			}
			if len(pe.Diagnostics) != len(tt.want) {
				t.Fatalf("Parse(%q) = %d diagnostics:\n%v\nwant %d", tt.src, len(pe.Diagnostics), err, len(tt.want))
			}
			for i, d := range pe.Diagnostics {
				if !strings.HasPrefix(d.String(), tt.want[i]) {
					t.Errorf("diagnostic %d = %q, want prefix %q", i, d.String(), tt.want[i])
				}
			}
		})
	}
}
