package acl

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// compile parses each source as policy "p<i>" and compiles them together.
func compile(t testing.TB, srcs ...string) *ACL {
	t.Helper()
	return mustCompile(t, parseAll(t, srcs))
}

type nsCheck struct {
	ns, op string
	want   bool
}

type nsCase struct {
	name     string
	policies []string
	checks   []nsCheck
}

func runNamespaceCases(t *testing.T, tests []nsCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := compile(t, tt.policies...)
			for _, c := range tt.checks {
				if got := a.AllowNamespaceOperation(c.ns, c.op); got != c.want {
					t.Errorf("AllowNamespaceOperation(%q, %q) = %v, want %v", c.ns, c.op, got, c.want)
				}
			}
		})
	}
}

func TestAllowNamespaceOperationMerge(t *testing.T) {
	tests := []nsCase{
		{"no policies allow nothing", nil, []nsCheck{
			{"default", "list-jobs", false},
		}},
		{"read does not submit", []string{`namespace "default" { policy = "read" }`}, []nsCheck{
			{"default", "read-job", true}, {"default", "list-jobs", true}, {"default", "csi-read-volume", true},
			{"default", "submit-job", false}, {"default", "read-logs", false}, {"other", "read-job", false},
		}},
		{"write submits but does not node-exec", []string{`namespace "default" { policy = "write" }`}, []nsCheck{
			{"default", "submit-job", true}, {"default", "alloc-exec", true}, {"default", "read-fs", true},
			{"default", "alloc-node-exec", false}, {"default", "csi-register-plugin", false}, {"default", "sentinel-override", false},
		}},
		{"capabilities union across policies", []string{
			`namespace "dev" { capabilities = ["list-jobs"] }`,
			`namespace "dev" { capabilities = ["submit-job"] }`,
		}, []nsCheck{{"dev", "list-jobs", true}, {"dev", "submit-job", true}, {"dev", "read-job", false}}},
		{"deny policy wins over write", []string{
			`namespace "dev" { policy = "write" }`,
			`namespace "dev" { policy = "deny" }`,
		}, []nsCheck{{"dev", "list-jobs", false}, {"dev", "submit-job", false}}},
		{"deny capability wins over policy in the same rule", []string{
			`namespace "dev" {
  policy       = "write"
  capabilities = ["deny"]
}`,
		}, []nsCheck{{"dev", "read-job", false}}},
		{"deny wins whatever the order", []string{
			`namespace "dev" { capabilities = ["deny"] }`,
			`namespace "dev" { policy = "write" }`,
		}, []nsCheck{{"dev", "read-job", false}}},
		{"deny on a glob wins over the same glob", []string{
			`namespace "prod-*" { policy = "deny" }`,
			`namespace "prod-*" { policy = "write" }`,
		}, []nsCheck{{"prod-web", "read-job", false}}},
		{"unknown and deny ops are never allowed", []string{`namespace "dev" { policy = "write" }`}, []nsCheck{
			{"dev", "deny", false}, {"dev", "root", false}, {"dev", "", false},
		}},
		{"scale", []string{`namespace "dev" { policy = "scale" }`}, []nsCheck{
			{"dev", "scale-job", true}, {"dev", "read-job-scaling", true}, {"dev", "read-job", false},
		}},
	}
	runNamespaceCases(t, tests)
}

func TestGlobPrecedence(t *testing.T) {
	tests := []nsCase{
		{"docs example: *-web beats *", []string{`
namespace "*-web" { policy = "deny" }
namespace "*" { policy = "write" }`}, []nsCheck{
			{"production-web", "read-job", false}, {"production-api", "submit-job", true}, {"-web", "read-job", false},
		}},
		{"exact beats every glob, even when it grants less", []string{`
namespace "*" { policy = "write" }
namespace "prod" { policy = "read" }`}, []nsCheck{
			{"prod", "read-job", true}, {"prod", "submit-job", false}, {"dev", "submit-job", true},
		}},
		{"exact beats glob across policies", []string{
			`namespace "prod*" { policy = "deny" }`,
			`namespace "prod" { policy = "read" }`,
		}, []nsCheck{{"prod", "read-job", true}, {"prod1", "read-job", false}}},
		{"more literal characters win", []string{`
namespace "p*" { policy = "read" }
namespace "prod-*" { policy = "write" }
namespace "prod-db-*" { policy = "deny" }`}, []nsCheck{
			{"prod-web", "submit-job", true}, {"prod-db-1", "read-job", false}, {"pets", "read-job", true}, {"pets", "submit-job", false},
		}},
		{"star matches the empty string", []string{`namespace "prod*" { policy = "read" }`}, []nsCheck{
			{"prod", "read-job", true}, {"pro", "read-job", false},
		}},
		{"inner wildcard", []string{`namespace "team-*-prod" { policy = "read" }`}, []nsCheck{
			{"team-a-prod", "read-job", true}, {"team--prod", "read-job", true}, {"team-a-dev", "read-job", false},
		}},
		{"ties merge: union", []string{`
namespace "a*" { capabilities = ["list-jobs"] }
namespace "*a" { capabilities = ["submit-job"] }`}, []nsCheck{
			{"aa", "list-jobs", true}, {"aa", "submit-job", true}, {"ab", "submit-job", false}, {"ba", "list-jobs", false},
		}},
		{"ties merge: deny wins", []string{`
namespace "a*" { policy = "write" }
namespace "*a" { policy = "deny" }`}, []nsCheck{{"aa", "read-job", false}, {"ab", "read-job", true}}},
		{"a broad deny does not override a more specific grant (Nomad)", []string{`
namespace "*" { policy = "deny" }
namespace "dev" { policy = "write" }`}, []nsCheck{{"dev", "submit-job", true}, {"prod", "read-job", false}}},
	}
	runNamespaceCases(t, tests)
}

func TestAllowNamespace(t *testing.T) {
	a := compile(t, `
namespace "*" { capabilities = ["parse-job"] }
namespace "secret" { policy = "deny" }
namespace "empty" {}`)
	for ns, want := range map[string]bool{"dev": true, "secret": false, "empty": false} {
		if got := a.AllowNamespace(ns); got != want {
			t.Errorf("AllowNamespace(%q) = %v, want %v", ns, got, want)
		}
	}
	if got, want := a.NamespaceCapabilities("dev"), []string{"parse-job"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NamespaceCapabilities(dev) = %v, want %v", got, want)
	}
	if got, want := a.NamespaceCapabilities("secret"), []string{"deny"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NamespaceCapabilities(secret) = %v, want %v", got, want)
	}
}

func TestAllowVariableOperation(t *testing.T) {
	a := compile(t, `
namespace "dev" {
  variables {
    path "project/*" { capabilities = ["write", "read", "destroy"] }
    path "system/*" { capabilities = ["read"] }
    path "system/keys" { capabilities = ["deny"] }
    path "drop/*" { capabilities = ["write"] }
  }
}
namespace "*" {
  policy = "read"
  variables {
    path "shared/*" { capabilities = ["list"] }
  }
}
namespace "locked" {
  policy = "deny"
}
namespace "nov" {
  policy = "write"
}`, `
namespace "dev" {
  variables {
    path "drop/*" { capabilities = ["deny"] }
  }
}`)
	tests := []struct {
		ns, path, op string
		want         bool
	}{
		{"dev", "project/a", "read", true},
		{"dev", "project/a", "destroy", true},
		{"dev", "project/a", "list", true},
		{"dev", "system/x", "read", true},
		{"dev", "system/x", "list", true},
		{"dev", "system/x", "write", false},
		{"dev", "system", "read", false}, // the glob does not match without the slash
		{"dev", "system/keys", "read", false},
		{"dev", "drop/x", "write", false}, // deny from the second policy
		{"dev", "shared/x", "list", false},
		{"other", "shared/x", "list", true},
		{"other", "shared/x", "read", false},
		{"locked", "shared/x", "list", false}, // namespace deny beats the * variables rule
		{"nov", "shared/x", "list", true},     // a namespace rule without variables does not shadow *
		{"dev", "project/a", "deny", false},
		{"dev", "project/a", "admin", false},
	}
	for _, tt := range tests {
		if got := a.AllowVariableOperation(tt.ns, tt.path, tt.op); got != tt.want {
			t.Errorf("AllowVariableOperation(%q, %q, %q) = %v, want %v", tt.ns, tt.path, tt.op, got, tt.want)
		}
	}
}

func TestAllowHostVolumeOperation(t *testing.T) {
	a := compile(t, `
host_volume "*" { policy = "write" }
host_volume "prod-*" { policy = "deny" }
host_volume "prod-ca-certificates" { policy = "read" }`)
	tests := []struct {
		name, op string
		want     bool
	}{
		{"scratch", "mount-readwrite", true},
		{"scratch", "mount-readonly", true},
		{"prod-db", "mount-readonly", false},
		{"prod-ca-certificates", "mount-readonly", true},
		{"prod-ca-certificates", "mount-readwrite", false},
		{"scratch", "deny", false},
		{"scratch", "write", false},
	}
	for _, tt := range tests {
		if got := a.AllowHostVolumeOperation(tt.name, tt.op); got != tt.want {
			t.Errorf("AllowHostVolumeOperation(%q, %q) = %v, want %v", tt.name, tt.op, got, tt.want)
		}
	}
	if !a.AllowHostVolume("scratch") || a.AllowHostVolume("prod-db") {
		t.Errorf("AllowHostVolume(scratch, prod-db) = %v, %v, want true, false", a.AllowHostVolume("scratch"), a.AllowHostVolume("prod-db"))
	}
}

func TestCoarseRules(t *testing.T) {
	type rights struct{ nodeR, nodeW, agentR, agentW, opR, opW, quotaR, quotaW, plugL, plugR bool }
	get := func(a *ACL) rights {
		return rights{a.AllowNodeRead(), a.AllowNodeWrite(), a.AllowAgentRead(), a.AllowAgentWrite(),
			a.AllowOperatorRead(), a.AllowOperatorWrite(), a.AllowQuotaRead(), a.AllowQuotaWrite(),
			a.AllowPluginList(), a.AllowPluginRead()}
	}
	tests := []struct {
		name     string
		policies []string
		want     rights
	}{
		{"none", nil, rights{}},
		{"read", []string{`
node { policy = "read" }
agent { policy = "read" }
operator { policy = "read" }
quota { policy = "read" }
plugin { policy = "read" }`}, rights{true, false, true, false, true, false, true, false, true, true}},
		{"write", []string{`
node { policy = "write" }
agent { policy = "write" }
operator { policy = "write" }
quota { policy = "write" }
plugin { policy = "write" }`}, rights{true, true, true, true, true, true, true, true, true, true}},
		{"plugin list only", []string{`plugin { policy = "list" }`}, rights{plugL: true}},
		{"highest level wins", []string{`node { policy = "read" }`, `node { policy = "write" }`}, rights{nodeR: true, nodeW: true}},
		{"deny wins", []string{`node { policy = "write" }`, `node { policy = "deny" }`, `node { policy = "read" }`}, rights{}},
		{"deny is per rule", []string{`node { policy = "deny" }`, `agent { policy = "read" }`}, rights{agentR: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(compile(t, tt.policies...)); got != tt.want {
				t.Errorf("rights = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestManagementACL(t *testing.T) {
	a := ManagementACL()
	if !a.IsManagement() || !a.AllowNamespaceOperation("any", NamespaceCapabilityAllocNodeExec) ||
		!a.AllowNodeWrite() || !a.AllowOperatorWrite() || !a.AllowVariableOperation("x", "y", "destroy") ||
		!a.AllowHostVolumeOperation("v", HostVolumeCapabilityMountReadWrite) || !a.AllowPluginRead() {
		t.Error("ManagementACL denied an operation")
	}
	if caps := a.NamespaceCapabilities("x"); len(caps) != len(namespaceKind.names)-1 {
		t.Errorf("NamespaceCapabilities = %d capabilities, want %d", len(caps), len(namespaceKind.names)-1)
	}
	if compile(t, `node { policy = "write" }`).IsManagement() {
		t.Error("a compiled ACL claims to be management")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		p    *Policy
	}{
		{"nil", nil},
		{"bad capability", &Policy{Name: "x", Namespaces: []*NamespaceRule{{Name: "a", Capabilities: []string{"sudo"}}}}},
		{"bad namespace policy", &Policy{Name: "x", Namespaces: []*NamespaceRule{{Name: "a", Policy: "list"}}}},
		{"bad variables capability", &Policy{Name: "x", Namespaces: []*NamespaceRule{{Name: "a",
			Variables: []*VariablesPathRule{{Path: "*", Capabilities: []string{"read-job"}}}}}}},
		{"bad host volume capability", &Policy{Name: "x", HostVolumes: []*HostVolumeRule{{Name: "a", Capabilities: []string{"mount"}}}}},
		{"bad node policy", &Policy{Name: "x", Node: "list"}},
		{"bad plugin policy", &Policy{Name: "x", Plugin: "scale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compile(tt.p); !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("Compile = %v, want ErrInvalidPolicy", err)
			}
		})
	}
}

func TestCompileHandBuiltPolicyExpands(t *testing.T) {
	a, err := Compile(&Policy{Name: "x", Namespaces: []*NamespaceRule{{Policy: PolicyRead}}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.AllowNamespaceOperation("default", NamespaceCapabilityReadJob) {
		t.Error("a hand-built read rule with no name did not grant read-job in default")
	}
}

func TestACLConcurrentUse(t *testing.T) {
	a := compile(t, `
namespace "*" { policy = "read" }
namespace "prod-*" { policy = "write" }`)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 1000 {
				ns := fmt.Sprintf("prod-%d", (i+j)%7)
				if !a.AllowNamespaceOperation(ns, NamespaceCapabilitySubmitJob) {
					errs <- ns
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for ns := range errs {
		t.Errorf("AllowNamespaceOperation(%q, submit-job) = false under concurrent use", ns)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*b", "ab", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"*a*a*", "banana", true},
		{"*a*a*a*a*", "banana", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"**", "x", true},
		{"a*", "", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// benchACL is a token with a typical spread of rules: a few exact
// namespaces, team globs and a catch-all.
func benchACL(b *testing.B) *ACL {
	src := `namespace "*" { policy = "read" }` + "\n"
	for i := range 20 {
		src += fmt.Sprintf("namespace \"team%d-*\" { policy = \"write\" }\n", i)
		src += fmt.Sprintf("namespace \"svc%d\" { capabilities = [\"submit-job\", \"read-logs\"] }\n", i)
	}
	return compile(b, src, `namespace "team3-secret" { policy = "deny" }`)
}

func BenchmarkAllowNamespaceOperation(b *testing.B) {
	a := benchACL(b)
	for _, bc := range []struct{ name, ns string }{
		{"exact", "svc7"},
		{"glob", "team19-web"},
		{"catch-all", "unrelated-namespace"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				a.AllowNamespaceOperation(bc.ns, NamespaceCapabilitySubmitJob)
			}
		})
	}
}
