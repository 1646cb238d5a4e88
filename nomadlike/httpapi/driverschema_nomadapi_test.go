package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestDriverSchemaWithNomadAPI: with a node whose exec driver published a
// config schema, Nomad's own client reads the node (the schema rides along
// in Drivers), and its Jobs().Validate gets the config problem with the
// job path in ValidationErrors; Jobs().Register gets a 400 with it.
func TestDriverSchemaWithNomadAPI(t *testing.T) {
	c, s := aclAgent(t)
	node := fixture.Node()
	node.Drivers["exec"].ConfigSchema = json.RawMessage(`{"Fields":[{"Name":"args","Kind":"list","Elem":{"Kind":"string"}},{"Name":"command","Kind":"string","Required":true}]}`)
	if _, _, err := s.RegisterNode(node, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Nodes().Info(node.ID, nil)
	if err != nil || got.Drivers["exec"] == nil || !got.Drivers["exec"].Healthy {
		t.Fatalf("Nodes().Info = %+v, %v; want the exec driver", got, err)
	}

	job, err := c.Jobs().ParseHCL(strings.Replace(apisJobHCL, `command = "/bin/sleep"`, `command = 42`, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	want := `group "web" task "app" config.command: must be a string, got 42`
	resp, _, err := c.Jobs().Validate(job, nil)
	if err != nil || len(resp.ValidationErrors) != 1 || resp.ValidationErrors[0] != want {
		t.Fatalf("Validate = %+v, %v; want ValidationErrors [%q]", resp, err, want)
	}
	if _, _, err := c.Jobs().Register(job, nil); apiStatus(err) != 400 || !strings.Contains(err.Error(), want) {
		t.Fatalf("Register = %v, want a 400 with %q", err, want)
	}
	if jobs, _, err := c.Jobs().List(nil); err != nil || len(jobs) != 0 {
		t.Errorf("jobs after the refused register = %v, %v; want none", jobs, err)
	}
}
