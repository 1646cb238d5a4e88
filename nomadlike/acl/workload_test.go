package acl

import "testing"

func TestWorkloadACL(t *testing.T) {
	a, err := WorkloadACL(Workload{Namespace: "default", JobID: "app", Group: "g", Task: "t", AllocID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, ns, path, op string
		want               bool
	}{
		{"job path read", "default", "nomad/jobs/app", "read", true},
		{"group path read", "default", "nomad/jobs/app/g", "read", true},
		{"task path read", "default", "nomad/jobs/app/g/t", "read", true},
		{"task path list", "default", "nomad/jobs/app/g/t", "list", true},
		{"job path write", "default", "nomad/jobs/app", "write", false},
		{"job path destroy", "default", "nomad/jobs/app", "destroy", false},
		{"other job", "default", "nomad/jobs/other", "read", false},
		{"job prefix lookalike", "default", "nomad/jobs/app2", "read", false},
		{"below the task path", "default", "nomad/jobs/app/g/t/x", "read", false},
		{"other group", "default", "nomad/jobs/app/h", "read", false},
		{"other namespace", "prod", "nomad/jobs/app", "read", false},
		{"nomad/jobs itself", "default", "nomad/jobs", "list", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.AllowVariableOperation(tc.ns, tc.path, tc.op); got != tc.want {
				t.Errorf("AllowVariableOperation(%q, %q, %q) = %v, want %v", tc.ns, tc.path, tc.op, got, tc.want)
			}
		})
	}
	if a.AllowNamespaceOperation("default", NamespaceCapabilityReadJob) || a.AllowNodeRead() || a.AllowOperatorRead() || a.AllowAgentRead() {
		t.Error("a workload ACL grants more than variables and services")
	}
	if !a.AllowServiceRead("default") || a.AllowServiceRead("prod") {
		t.Error("AllowServiceRead: want default only")
	}
	if a.Workload() == nil || a.Workload().JobID != "app" {
		t.Error("Workload() lost the identity")
	}
}

// TestVariablesPolicyMostSpecific: the policy language's variables block
// with the closest path glob winning, as Nomad.
func TestVariablesPolicyMostSpecific(t *testing.T) {
	pol, err := Parse("p", []byte(`namespace "default" {
  variables {
    path "*" { capabilities = ["list"] }
    path "app/*" { capabilities = ["read", "write"] }
    path "app/secret/*" { capabilities = ["deny"] }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Compile(pol)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, op string
		want     bool
	}{
		{"other", "list", true},
		{"other", "read", false},
		{"app/db", "read", true},
		{"app/db", "write", true},
		{"app/db", "destroy", false},
		{"app/secret/x", "read", false},
		{"app/secret/x", "list", false},
	}
	for _, tc := range cases {
		if got := a.AllowVariableOperation("default", tc.path, tc.op); got != tc.want {
			t.Errorf("AllowVariableOperation(default, %q, %q) = %v, want %v", tc.path, tc.op, got, tc.want)
		}
	}
}
