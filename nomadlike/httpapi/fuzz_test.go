package httpapi

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// FuzzJobJSON feeds PUT /v1/jobs bodies to the decoder the handler uses,
// then does what the server does with a decoded job: canonicalize and
// validate. Nothing may panic; a decode error is a 400; a job that
// validates has IDs and names that are safe as paths and on terminals.
func FuzzJobJSON(f *testing.F) {
	for _, j := range []*nomadlike.Job{fixture.Job(), fixture.BatchJob(3)} {
		b, err := json.Marshal(api.JobRegisterRequest{Job: j})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	files, _ := filepath.Glob("../../jobspecs/*.hcl")
	for _, p := range files {
		job, err := jobspec.ParseFile(p, &jobspec.ParseOptions{Environ: []string{}})
		if err != nil {
			continue // needs variables
		}
		b, _ := json.Marshal(api.JobRegisterRequest{Job: job})
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `{"Job": null}`, `{"Job": {}}`, `{"Job": {"ID": 5}}`, `{"Job": {"ID": "x", `,
		`{"Job": {"ID": "..", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "../../x"}]}]}}`,
		`{"Job": {"ID": "\u202e\u001b[2J\r", "Type": "batch"}}`,
		`{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Count": -1, "Tasks": [null]}, null]}}`,
		`{"Job": {"ID": "p", "Type": "batch", "Periodic": {"Enabled": true, "Spec": "*/5 * * * *", "SpecType": "cron", "TimeZone": "Europe/Paris"}}}`,
		`{"Job": {"ID": "x", "Update": {"MaxParallel": 1, "HealthyDeadline": "5m", "MinHealthyTime": 1e400}}}`,
		`{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Networks": [{"DynamicPorts": [{"Label": "http", "Value": 70000}]}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req api.JobRegisterRequest
		if err := decodeJSON(body, &req); err != nil {
			if code := statusFor(err); code != http.StatusBadRequest {
				t.Fatalf("decode error %v maps to %d, want 400", err, code)
			}
			return
		}
		if req.Job == nil {
			return
		}
		job := req.Job.Copy()
		job.Canonicalize()
		if job.Validate() != nil || periodic.Validate(job) != nil {
			return
		}
		for _, s := range []string{job.ID, job.Name} {
			for _, r := range s {
				if nomadlike.UnsafeRune(r) {
					t.Fatalf("job %q validated with U+%04X in it", s, r)
				}
			}
		}
		for _, tg := range job.TaskGroups {
			for _, task := range tg.Tasks {
				if nomadlike.CheckName(task.Name) != nil || filepath.Base(task.Name) != task.Name {
					t.Fatalf("task name %q validated but is not a safe directory name", task.Name)
				}
			}
		}
	})
}
