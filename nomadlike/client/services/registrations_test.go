package services

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// serviceAlloc is a running allocation of a job whose group has a service
// "grp" on port label "http" and whose task has a service "web", on a
// host network 10.1.2.3 with http → 25000 (to 8080).
func serviceAlloc(t *testing.T) (*nomadlike.Allocation, *nomadlike.Node) {
	t.Helper()
	job := fixture.Job()
	tg := job.TaskGroups[0]
	tg.Services = []*nomadlike.Service{{Name: "grp", PortLabel: "http", Tags: []string{"g"}}}
	tg.Tasks[0].Services = []*nomadlike.Service{{Name: "web", PortLabel: "http", Tags: []string{"live"}, CanaryTags: []string{"canary"}}}
	node := fixture.Node()
	a := fixture.Alloc(job, node, 0)
	a.AllocatedResources = &nomadlike.AllocatedResources{Shared: nomadlike.AllocatedSharedResources{
		Networks: []*nomadlike.NetworkResource{{Mode: "host", IP: "10.1.2.3"}},
		Ports:    []nomadlike.AllocatedPort{{Label: "http", Value: 25000, To: 8080, HostIP: "10.1.2.3"}},
	}}
	a.ClientStatus = nomadlike.AllocClientStatusRunning
	a.TaskStates = map[string]*nomadlike.TaskState{tg.Tasks[0].Name: {State: nomadlike.TaskStateRunning}}
	return a, node
}

func byName(regs []*nomadlike.ServiceRegistration) map[string]*nomadlike.ServiceRegistration {
	out := map[string]*nomadlike.ServiceRegistration{}
	for _, r := range regs {
		out[r.ServiceName] = r
	}
	return out
}

func TestRegistrations(t *testing.T) {
	cases := []struct {
		name   string
		change func(a *nomadlike.Allocation)
		want   map[string]string // service → "address:port tags"
	}{
		{"running: group and task services on the host port", nil,
			map[string]string{"grp": "10.1.2.3:25000 [g]", "web": "10.1.2.3:25000 [live]"}},
		{"canary: canary tags", func(a *nomadlike.Allocation) {
			a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Canary: true}
		}, map[string]string{"grp": "10.1.2.3:25000 [g]", "web": "10.1.2.3:25000 [canary]"}},
		{"address_mode alloc: the mapped port", func(a *nomadlike.Allocation) {
			a.Job.TaskGroups[0].Tasks[0].Services[0].AddressMode = "alloc"
		}, map[string]string{"grp": "10.1.2.3:25000 [g]", "web": "10.1.2.3:8080 [live]"}},
		{"numeric port and explicit address", func(a *nomadlike.Allocation) {
			s := a.Job.TaskGroups[0].Tasks[0].Services[0]
			s.PortLabel, s.Address = "9090", "192.0.2.7"
		}, map[string]string{"grp": "10.1.2.3:25000 [g]", "web": "192.0.2.7:9090 [live]"}},
		{"consul provider registers here too, another does not", func(a *nomadlike.Allocation) {
			a.Job.TaskGroups[0].Services[0].Provider = "consul"
			a.Job.TaskGroups[0].Tasks[0].Services[0].Provider = "other"
		}, map[string]string{"grp": "10.1.2.3:25000 [g]"}},
		{"interpolated name and tags", func(a *nomadlike.Allocation) {
			s := a.Job.TaskGroups[0].Tasks[0].Services[0]
			s.Name, s.Tags = "${NOMAD_TASK_NAME}-web", []string{"v-${NOMAD_TASK_NAME}"}
		}, map[string]string{"grp": "10.1.2.3:25000 [g]", "app-web": "10.1.2.3:25000 [v-app]"}},
		{"task not running: no task service", func(a *nomadlike.Allocation) {
			a.TaskStates[a.Job.TaskGroups[0].Tasks[0].Name].State = nomadlike.TaskStatePending
			a.ClientStatus = nomadlike.AllocClientStatusPending
		}, map[string]string{}},
		{"desired stop: nothing", func(a *nomadlike.Allocation) {
			a.DesiredStatus = nomadlike.AllocDesiredStatusStop
		}, map[string]string{}},
		{"complete: nothing", func(a *nomadlike.Allocation) {
			a.ClientStatus = nomadlike.AllocClientStatusComplete
		}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, node := serviceAlloc(t)
			if tc.change != nil {
				tc.change(a)
			}
			got := byName(Registrations(a, node, nil))
			if len(got) != len(tc.want) {
				t.Fatalf("Registrations = %d services %v, want %v", len(got), got, tc.want)
			}
			for name, want := range tc.want {
				r := got[name]
				if r == nil {
					t.Fatalf("no registration of %s", name)
				}
				s := r.Address + ":" + itoa(r.Port) + " " + fmtTags(r.Tags)
				if s != want || r.Status != nomadlike.ServiceStatusPassing || r.NodeID != node.ID || r.AllocID != a.ID || r.JobID != a.JobID {
					t.Errorf("%s = %q %+v, want %q, passing", name, s, r, want)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func fmtTags(tags []string) string { return fmt.Sprint(tags) }

// TestRegistrationsCriticalUntilChecksReport: an instance of a service
// that declares checks is critical while no check result exists (the
// status func answers ""), and takes the checks' status once they report;
// a service without checks is passing. (The decision is made here, from
// the allocation the manager holds: the check runner's seam must not read
// the alloc runner, which reports under its lock.)
func TestRegistrationsCriticalUntilChecksReport(t *testing.T) {
	a, node := serviceAlloc(t)
	a.Job.TaskGroups[0].Tasks[0].Services[0].Checks = []*nomadlike.ServiceCheck{{Name: "alive", Type: "tcp"}}
	cases := []struct {
		name     string
		status   StatusFunc
		web, grp string
	}{
		{"no results yet", func(string) string { return "" }, nomadlike.ServiceStatusCritical, nomadlike.ServiceStatusPassing},
		{"checks pass", func(s string) string {
			if s == "web" {
				return nomadlike.ServiceStatusPassing
			}
			return ""
		}, nomadlike.ServiceStatusPassing, nomadlike.ServiceStatusPassing},
		{"checks warn", func(s string) string {
			if s == "web" {
				return nomadlike.ServiceStatusWarning
			}
			return ""
		}, nomadlike.ServiceStatusWarning, nomadlike.ServiceStatusPassing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := byName(Registrations(a, node, tc.status))
			if got["web"] == nil || got["grp"] == nil {
				t.Fatalf("Registrations = %v, want web and grp", got)
			}
			if got["web"].Status != tc.web || got["grp"].Status != tc.grp {
				t.Errorf("status web %q grp %q, want %q %q", got["web"].Status, got["grp"].Status, tc.web, tc.grp)
			}
		})
	}
}
