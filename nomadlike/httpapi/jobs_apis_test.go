package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"
	"github.com/hashicorp/nomad/api/contexts"

	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// The server is what the parse, validate and scale routes need.
var (
	_ httpapi.JobScaler    = realBackend{}
	_ httpapi.JobValidator = realBackend{}
)

// apisJobHCL is a job file with a variable for its count.
const apisJobHCL = `
variable "count" {
  type    = number
  default = 1
}

job "apis" {
  datacenters = ["dc1"]
  group "web" {
    count = var.count
    task "app" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["1000"]
      }
    }
  }
}
`

// apiStatus is the HTTP status of a Nomad API client error (0 if none).
func apiStatus(err error) int {
	var ue nomadapi.UnexpectedResponseError
	if errors.As(err, &ue) {
		return ue.StatusCode()
	}
	return 0
}

// memoryBomb is a small job file whose evaluation builds a string of 16
// GiB: each local repeats the one before 32 times.
var memoryBomb = func() string {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = \"0123456789abcdef\"\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "  l%d = \"%s\"\n", i, strings.Repeat(fmt.Sprintf("${local.l%d}", i-1), 32))
	}
	b.WriteString("}\n")
	return b.String() + strings.Replace(apisJobHCL, `["1000"]`, `[local.l6]`, 1)
}()

// TestParseWithNomadAPI: Jobs().ParseHCL and ParseHCLOpts get the job's
// JSON, variables from the request's Variables; a job file that calls
// file() or fileexists() gets a 400 naming the place and reads nothing of
// the server's files; the server's NOMAD_VAR_ environment sets nothing.
func TestParseWithNomadAPI(t *testing.T) {
	c, _ := aclAgent(t)
	job, err := c.Jobs().ParseHCL(apisJobHCL, true)
	if err != nil || *job.ID != "apis" || *job.TaskGroups[0].Count != 1 || job.TaskGroups[0].Tasks[0].Config["command"] != "/bin/sleep" {
		t.Fatalf("ParseHCL = %+v, %v", job, err)
	}
	job, err = c.Jobs().ParseHCLOpts(&nomadapi.JobsParseRequest{JobHCL: apisJobHCL, Variables: "count = 4\n"})
	if err != nil || *job.TaskGroups[0].Count != 4 {
		t.Fatalf("ParseHCLOpts(count = 4) = %+v, %v", job, err)
	}
	secret := t.TempDir() + "/secret"
	if err := os.WriteFile(secret, []byte("s3cr3t-on-the-server"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOMAD_VAR_count", "7")
	noDefault := strings.Replace(apisJobHCL, "default = 1", "", 1)
	cases := []struct {
		name, hcl, want string
	}{
		{"file", strings.Replace(apisJobHCL, `"/bin/sleep"`, `file("`+secret+`")`, 1), "input.hcl:14:19: Error in function call"},
		{"relative file", strings.Replace(apisJobHCL, `"/bin/sleep"`, `file("secret")`, 1), "file functions are disabled"},
		{"fileexists", strings.Replace(apisJobHCL, `"/bin/sleep"`, `fileexists("`+secret+`") ? "a" : "b"`, 1), "file functions are disabled"},
		{"environment", noDefault, "var.count has no default"},
		{"syntax", "job \"x\" {\n  group \"g\" {\n", "input.hcl:"},
		{"memory bomb", memoryBomb, "too expensive to parse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Jobs().ParseHCL(tc.hcl, true)
			if apiStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("ParseHCL = %v, want a 400 with %q and nothing of the file", err, tc.want)
			}
		})
	}
	if _, err := c.Jobs().ParseHCL(apisJobHCL, true); err != nil {
		t.Errorf("ParseHCL after the refused files = %v", err)
	}
}

// TestValidateWithNomadAPI: Jobs().Validate answers Nomad's
// JobValidateResponse: problems in ValidationErrors and Error (a 200),
// the register's warnings in Warnings.
func TestValidateWithNomadAPI(t *testing.T) {
	c, _ := aclAgent(t)
	job, err := c.Jobs().ParseHCL(apisJobHCL, true)
	if err != nil {
		t.Fatal(err)
	}
	resp, _, err := c.Jobs().Validate(job, nil)
	if err != nil || len(resp.ValidationErrors) != 0 || resp.Error != "" || resp.DriverConfigValidated {
		t.Fatalf("Validate(valid) = %+v, %v", resp, err)
	}
	sticky := true
	job.TaskGroups[0].EphemeralDisk = &nomadapi.EphemeralDisk{Sticky: &sticky}
	resp, _, err = c.Jobs().Validate(job, nil)
	if err != nil || len(resp.ValidationErrors) != 0 || !strings.Contains(resp.Warnings, "TaskGroups[web].EphemeralDisk.Sticky: has no effect in nomadlike") {
		t.Fatalf("Validate(sticky disk) = %+v, %v; want the no-effect warning", resp, err)
	}
	job.TaskGroups[0].Count = new(-2)
	job.TaskGroups[0].Tasks[0].Driver = ""
	resp, _, err = c.Jobs().Validate(job, nil)
	if err != nil || len(resp.ValidationErrors) < 2 || !strings.Contains(resp.Error, "TaskGroups[web].Count") {
		t.Fatalf("Validate(invalid) = %+v, %v; want each problem listed", resp, err)
	}
	big := *job
	big.TaskGroups = []*nomadapi.TaskGroup{{Name: new("web"), Count: new(1_000_000), Tasks: job.TaskGroups[0].Tasks}}
	big.TaskGroups[0].Tasks[0].Driver = "exec"
	resp, _, err = c.Jobs().Validate(&big, nil)
	if err != nil || !strings.Contains(resp.Error, "job_max_count") {
		t.Fatalf("Validate(over job_max_count) = %+v, %v", resp, err)
	}
}

// TestScaleWithNomadAPI: Jobs().Scale changes a group's count through a
// new job version and an evaluation, records the event, and ScaleStatus
// shows it; error events change nothing; bad requests change nothing.
func TestScaleWithNomadAPI(t *testing.T) {
	c, s := aclAgent(t)
	job, err := c.Jobs().ParseHCL(apisJobHCL, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	resp, _, err := c.Jobs().Scale("apis", "web", new(5), "more please", false, map[string]any{"by": "test"}, nil)
	if err != nil || resp.EvalID == "" || resp.EvalCreateIndex == 0 {
		t.Fatalf("Scale = %+v, %v", resp, err)
	}
	got, _, err := c.Jobs().Info("apis", nil)
	if err != nil || *got.TaskGroups[0].Count != 5 || *got.Version != 1 {
		t.Fatalf("job after Scale = count %d version %d, %v; want 5, 1", *got.TaskGroups[0].Count, *got.Version, err)
	}
	ev, _, err := c.Evaluations().Info(resp.EvalID, nil)
	if err != nil || ev.TriggeredBy != "job-scaling" || ev.JobID != "apis" {
		t.Fatalf("scale eval = %+v, %v", ev, err)
	}
	if _, _, err := c.Jobs().Scale("apis", "web", nil, "autoscaler: no metrics", true, nil, nil); err != nil {
		t.Fatalf("Scale(error event) = %v", err)
	}
	before, _ := s.State().LatestIndex()
	bad := []struct {
		name  string
		group string
		count *int
		want  int
		msg   string
	}{
		{"unknown group", "nope", new(2), http.StatusBadRequest, `Target.Group: job has no task group "nope"`},
		{"negative", "web", new(-1), http.StatusBadRequest, "Count: must not be negative"},
		{"over job_max_count", "web", new(1_000_000), http.StatusBadRequest, "job_max_count of 100000"},
		{"no count", "web", nil, http.StatusBadRequest, "Count: missing"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Jobs().Scale("apis", tc.group, tc.count, "", false, nil, nil)
			if apiStatus(err) != tc.want || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Scale = %v, want %d with %q", err, tc.want, tc.msg)
			}
		})
	}
	if _, _, err := c.Jobs().Scale("missing", "web", new(2), "", false, nil, nil); apiStatus(err) != http.StatusNotFound {
		t.Errorf("Scale(missing job) = %v, want 404", err)
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Errorf("refused scale requests wrote to the state: index %d -> %d", before, after)
	}

	st, _, err := c.Jobs().ScaleStatus("apis", nil)
	if err != nil {
		t.Fatal(err)
	}
	web := st.TaskGroups["web"]
	if st.JobID != "apis" || st.Namespace != "default" || web.Desired != 5 || len(web.Events) != 2 {
		t.Fatalf("ScaleStatus = %+v", st)
	}
	errEv, countEv := web.Events[0], web.Events[1]
	if !errEv.Error || errEv.Count != nil || errEv.Message != "autoscaler: no metrics" || errEv.EvalID != nil {
		t.Errorf("newest event = %+v, want the error event", errEv)
	}
	if countEv.Count == nil || *countEv.Count != 5 || countEv.PreviousCount != 1 || countEv.Message != "more please" ||
		countEv.EvalID == nil || *countEv.EvalID != resp.EvalID || countEv.Meta["by"] != "test" || countEv.Time == 0 || countEv.CreateIndex == 0 {
		t.Errorf("count event = %+v", countEv)
	}

	// A purge forgets the events.
	if _, _, err := c.Jobs().Deregister("apis", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().ScaleStatus("apis", nil); apiStatus(err) != http.StatusNotFound {
		t.Errorf("ScaleStatus(purged) = %v, want 404", err)
	}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	if st, _, err := c.Jobs().ScaleStatus("apis", nil); err != nil || len(st.TaskGroups["web"].Events) != 0 {
		t.Errorf("ScaleStatus(registered again) = %+v, %v; want no events", st, err)
	}
}

// TestRegionsWithNomadAPI: Regions().List is the agent's one region; a
// client that names another gets Nomad's "No path to region" and the
// request is not served; Agent().Members decodes.
func TestRegionsWithNomadAPI(t *testing.T) {
	c, _ := aclAgent(t)
	regions, err := c.Regions().List()
	if err != nil || len(regions) != 1 || regions[0] != "global" {
		t.Fatalf("Regions().List() = %v, %v", regions, err)
	}
	m, err := c.Agent().Members()
	if err != nil || m.ServerRegion != "global" || len(m.Members) == 0 {
		t.Fatalf("Agent().Members() = %+v, %v", m, err)
	}
	west, err := nomadapi.NewClient(&nomadapi.Config{Address: c.Address(), Region: "west"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := west.Jobs().List(nil); apiStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), `No path to region "west"`) {
		t.Errorf("Jobs().List() in region west = %v, want 400 No path to region", err)
	}
	if _, _, err := west.Jobs().Register(&nomadapi.Job{ID: new("x")}, nil); err == nil || !strings.Contains(err.Error(), "No path to region") {
		t.Errorf("Register in region west = %v, want No path to region", err)
	}
	global, _ := nomadapi.NewClient(&nomadapi.Config{Address: c.Address(), Region: "global"})
	if _, _, err := global.Jobs().List(nil); err != nil {
		t.Errorf("Jobs().List() in region global = %v", err)
	}

	// A configured region is the one listed and accepted.
	h := httpapi.New(httpapi.Config{Server: httpapitest.NewServer(), Region: "eu"})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	eu, _ := nomadapi.NewClient(&nomadapi.Config{Address: srv.URL, Region: "eu"})
	if regions, err := eu.Regions().List(); err != nil || len(regions) != 1 || regions[0] != "eu" {
		t.Errorf("Regions().List() of an eu agent = %v, %v", regions, err)
	}
}

// TestACLEitherCapability: the routes Nomad opens to either of two
// capabilities take each, and refuse a token with neither.
func TestACLEitherCapability(t *testing.T) {
	fx := newACLFixture(t)
	parse := map[string]any{"JobHCL": apisJobHCL}
	scale := map[string]any{"Count": 1, "Target": map[string]string{"Group": "web"}}
	cases := []struct {
		method, path string
		body         any
		tok          string
		allowed      bool
	}{
		{"PUT", "/v1/jobs/parse", parse, "cap:parse-job", true},
		{"PUT", "/v1/jobs/parse", parse, "cap:submit-job", true},
		{"PUT", "/v1/jobs/parse", parse, "cap:dispatch-job", false},
		{"PUT", "/v1/job/" + fx.job.ID + "/scale", scale, "cap:scale-job", true},
		{"PUT", "/v1/job/" + fx.job.ID + "/scale", scale, "cap:submit-job", true},
		{"PUT", "/v1/job/" + fx.job.ID + "/scale", scale, "cap:read-job", false},
		{"PUT", "/v1/job/" + fx.job.ID + "/scale?namespace=prod", scale, "cap:scale-job", false},
		{"GET", "/v1/job/" + fx.job.ID + "/scale", nil, "cap:read-job-scaling", true},
		{"GET", "/v1/job/" + fx.job.ID + "/scale", nil, "cap:read-job", true},
		{"GET", "/v1/job/" + fx.job.ID + "/scale", nil, "cap:list-jobs", false},
		{"PUT", "/v1/validate/job", map[string]any{"Job": map[string]any{"ID": "x", "Namespace": "prod"}}, "cap:read-job", false},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" "+tc.tok, func(t *testing.T) {
			code, body := fx.ta.send(t, tc.method, tc.path, tc.body, "X-Nomad-Token", tc.tok)
			if (code != http.StatusForbidden) != tc.allowed {
				t.Errorf("%s %s with %s = %d %q, want allowed %v", tc.method, tc.path, tc.tok, code, body, tc.allowed)
			}
		})
	}
}

// TestFuzzySearchWithNomadAPI: Search().FuzzySearch finds names that
// contain the text, with Nomad's scopes.
func TestFuzzySearchWithNomadAPI(t *testing.T) {
	c, _ := aclAgent(t)
	job, err := c.Jobs().ParseHCL(apisJobHCL, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	res, _, err := c.Search().FuzzySearch("AP", contexts.All, nil)
	if err != nil {
		t.Fatalf("FuzzySearch = %v", err)
	}
	jobs, tasks := res.Matches[contexts.Jobs], res.Matches[contexts.Tasks]
	if len(jobs) != 1 || jobs[0].ID != "apis" || strings.Join(jobs[0].Scope, "/") != "default/apis" {
		t.Errorf("jobs matches = %+v", jobs)
	}
	if len(tasks) != 1 || tasks[0].ID != "app" || strings.Join(tasks[0].Scope, "/") != "default/apis/web" {
		t.Errorf("tasks matches = %+v", tasks)
	}
	if len(res.Matches[contexts.Groups]) != 0 || res.Truncations[contexts.Jobs] {
		t.Errorf("matches = %+v, truncations %+v", res.Matches, res.Truncations)
	}
	if res, _, err := c.Search().FuzzySearch("we", contexts.Groups, nil); err != nil || len(res.Matches[contexts.Groups]) != 1 {
		t.Errorf("FuzzySearch(we, groups) = %+v, %v", res, err)
	}
	for _, bad := range []struct {
		text string
		ctx  contexts.Context
		want string
	}{{"a", contexts.All, "at least 2 characters"}, {"ap", contexts.Images, "is not one of all"}} {
		if _, _, err := c.Search().FuzzySearch(bad.text, bad.ctx, nil); apiStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("FuzzySearch(%q, %s) = %v, want 400 %q", bad.text, bad.ctx, err, bad.want)
		}
	}
}
