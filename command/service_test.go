package command

import (
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// TestServiceCommands: service list, info (table, -verbose, -json,
// -passing) and delete against a catalog with two instances of "web".
func TestServiceCommands(t *testing.T) {
	cl := newCluster(t)
	t.Setenv("NOMAD_NAMESPACE", "")
	t.Setenv("NOMADLIKE_NAMESPACE", "")
	job := fixture.Job()
	if _, _, _, err := cl.fake.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	var regs []*nomadlike.ServiceRegistration
	for i, st := range []string{nomadlike.ServiceStatusPassing, nomadlike.ServiceStatusCritical} {
		a := fixture.Alloc(job, cl.node, i+10)
		a.ClientStatus = nomadlike.AllocClientStatusRunning
		cl.fake.PutAlloc(a)
		regs = append(regs, &nomadlike.ServiceRegistration{ID: "_nomad-task-" + a.ID + "-web", ServiceName: "web", Namespace: "default",
			NodeID: cl.node.ID, JobID: job.ID, AllocID: a.ID, Tags: []string{"http"}, Address: "10.0.0.9", Port: 8000 + i, Status: st})
	}
	if _, err := cl.fake.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertServiceRegistrations(index, regs) }); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cl.cli(t, "", "service list")
	if code != 0 {
		t.Fatalf("service list = %d %q", code, errOut)
	}
	mustContain(t, "service list", out, "Service Name", "web", "[http]")

	code, out, _ = cl.cli(t, "", "service info", "web")
	if code != 0 {
		t.Fatalf("service info = %d", code)
	}
	mustContain(t, "service info", out, "Job ID", "Address", "10.0.0.9:8000", "10.0.0.9:8001", "critical")

	code, out, _ = cl.cli(t, "", "service info", "-passing", "-verbose", "web")
	if code != 0 || strings.Contains(out, "8001") {
		t.Fatalf("service info -passing -verbose = %d %q, want only the passing instance", code, out)
	}
	mustContain(t, "service info -verbose", out, "ID           = "+regs[0].ID, "Alloc ID     = "+regs[0].AllocID, "Datacenter")

	code, out, _ = cl.cli(t, "", "service info", "-json", "web")
	if code != 0 || !strings.Contains(out, `"ServiceName": "web"`) {
		t.Fatalf("service info -json = %d %q", code, out)
	}
	if code, out, errOut := cl.cli(t, "", "service delete", "web", regs[1].ID); code != 0 || !strings.Contains(out, "Successfully deleted service registration") {
		t.Fatalf("service delete = %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cl.cli(t, "", "service delete", "web", "nope"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("service delete unknown = %d %q, want not found", code, errOut)
	}
	if code, _, errOut := cl.cli(t, "", "service info", "nothing"); code == 0 || !strings.Contains(errOut, `no service registration found for "nothing"`) {
		t.Errorf("service info unknown = %d %q", code, errOut)
	}
}
