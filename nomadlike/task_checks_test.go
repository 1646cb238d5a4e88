package nomadlike

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"
)

// TestServiceCheckDecodesNomadJSON: a service with checks as Nomad's api
// package encodes it decodes into the fields the check runner reads.
func TestServiceCheckDecodesNomadJSON(t *testing.T) {
	grace := 3 * time.Second
	in := napi.Service{
		Name: "web", PortLabel: "http",
		CheckRestart: &napi.CheckRestart{Limit: 4, Grace: &grace, IgnoreWarnings: true},
		Checks: []napi.ServiceCheck{{
			Name: "g", Type: "grpc", PortLabel: "rpc", Interval: time.Second, Timeout: 2 * time.Second,
			GRPCService: "svc", GRPCUseTLS: true, TLSSkipVerify: true, TLSServerName: "example",
			SuccessBeforePassing: 2, FailuresBeforeCritical: 3, OnUpdate: "ignore_warnings", InitialStatus: "critical",
			TaskName: "t", Method: "POST", Body: "b", Header: map[string][]string{"X": {"1"}},
			CheckRestart: &napi.CheckRestart{Limit: 1, Grace: &grace},
		}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got Service
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := &ServiceCheck{
		Name: "g", Type: "grpc", PortLabel: "rpc", Interval: time.Second, Timeout: 2 * time.Second,
		GRPCService: "svc", GRPCUseTLS: true, TLSSkipVerify: true, TLSServerName: "example",
		SuccessBeforePassing: 2, FailuresBeforeCritical: 3, OnUpdate: "ignore_warnings", InitialStatus: "critical",
		TaskName: "t", Method: "POST", Body: "b", Header: map[string][]string{"X": {"1"}},
		CheckRestart: &CheckRestart{Limit: 1, Grace: grace},
	}
	if len(got.Checks) != 1 || !reflect.DeepEqual(got.Checks[0], want) {
		t.Fatalf("decoded check %+v\nwant %+v", got.Checks[0], want)
	}
	if got.CheckRestart == nil || *got.CheckRestart != (CheckRestart{Limit: 4, Grace: grace, IgnoreWarnings: true}) {
		t.Fatalf("service check_restart %+v", got.CheckRestart)
	}
	c := got.Copy()
	c.Checks[0].CheckRestart.Limit = 9
	c.CheckRestart.Limit = 9
	if got.Checks[0].CheckRestart.Limit != 1 || got.CheckRestart.Limit != 4 {
		t.Fatal("Copy shares check_restart")
	}
}

func TestCheckFieldsValidated(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*ServiceCheck)
		path string
	}{
		{"on_update", func(c *ServiceCheck) { c.OnUpdate = "sometimes" }, "Checks[0].OnUpdate"},
		{"initial_status", func(c *ServiceCheck) { c.InitialStatus = "fine" }, "Checks[0].InitialStatus"},
		{"check_restart limit", func(c *ServiceCheck) { c.CheckRestart = &CheckRestart{Limit: -1} }, "Checks[0].CheckRestart.Limit"},
		{"failures_before_critical", func(c *ServiceCheck) { c.FailuresBeforeCritical = -2 }, "Checks[0].FailuresBeforeCritical"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &ServiceCheck{Name: "c", Type: "tcp", Interval: time.Second, Timeout: time.Second}
			tc.mod(c)
			var errs []FieldError
			validateService(validator{errs: &errs, path: "Services[0]"}, &Service{Name: "web", Checks: []*ServiceCheck{c}}, map[string]bool{})
			found := false
			for _, e := range errs {
				found = found || e.Path == "Services[0]."+tc.path
			}
			if !found {
				t.Fatalf("errors %+v, want one at %s", errs, tc.path)
			}
		})
	}
}
