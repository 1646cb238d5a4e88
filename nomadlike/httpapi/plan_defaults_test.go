package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// TestPlanDiffIgnoresUnsetDefaults: Nomad's clients send jobs with their
// defaults unset (no node pool, restart or update policy); planning the
// job that is registered must show no change, as the register would
// store the same job.
func TestPlanDiffIgnoresUnsetDefaults(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	bare := `{"Job": {"ID": "web", "Type": "service", "TaskGroups": [{"Name": "g", "Count": 1,
		"Tasks": [{"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true"}}]}]}, "Diff": true}`
	if code, _, body := ta.do(t, "PUT", "/v1/jobs", bare); code != 200 {
		t.Fatalf("register = %d %s", code, body)
	}
	code, _, body := ta.do(t, "PUT", "/v1/job/web/plan", bare)
	if code != 200 {
		t.Fatalf("plan = %d %s", code, body)
	}
	var resp api.JobPlanResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Diff == nil || resp.Diff.Type != api.DiffTypeNone {
		t.Fatalf("plan diff of the registered job = %s, want None", body)
	}
}
