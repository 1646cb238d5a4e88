package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// policyResolver resolves a secret to the ACL of the policy source it names.
type policyResolver map[string]string

func (p policyResolver) ResolveToken(secret string) (*acl.ACL, error) {
	pol, err := acl.Parse(secret, []byte(p[secret]))
	if err != nil {
		return nil, err
	}
	return acl.Compile(pol)
}

// TestHostVolumeACL: a job's host volumes need the token's host_volume
// rule, as Nomad's: mount-readwrite for a writable request, mount-readonly
// (or mount-readwrite) for a read-only one. A refused job is not stored.
func TestHostVolumeACL(t *testing.T) {
	const submit = `namespace "default" { capabilities = ["submit-job"] }` + "\n"
	tokens := policyResolver{
		"none": submit,
		"ro":   submit + `host_volume "data" { capabilities = ["mount-readonly"] }`,
		"rw":   submit + `host_volume "data*" { policy = "write" }`,
		"deny": submit + `host_volume "*" { policy = "write" }` + "\n" + `host_volume "data" { policy = "deny" }`,
	}
	ta := newTestAPI(t, httpapitest.NewServer(), func(c *httpapi.Config) { c.ACL = tokens })
	cases := []struct {
		name, token string
		readOnly    bool
		want        int
	}{
		{"no rule, writable", "none", false, http.StatusForbidden},
		{"no rule, read-only", "none", true, http.StatusForbidden},
		{"mount-readonly, writable", "ro", false, http.StatusForbidden},
		{"mount-readonly, read-only", "ro", true, http.StatusOK},
		{"write policy, writable", "rw", false, http.StatusOK},
		{"write policy, read-only", "rw", true, http.StatusOK},
		{"denied name", "deny", true, http.StatusForbidden},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := fixture.Job()
			job.ID = job.ID + "-" + string(rune('a'+i))
			job.Name = job.ID
			job.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"d": {Name: "d", Type: "host", Source: "data", ReadOnly: tc.readOnly}}
			for _, path := range []string{"/v1/job/" + job.ID + "/plan", "/v1/jobs"} {
				code, body := ta.send(t, "PUT", path, map[string]any{"Job": job}, "X-Nomad-Token", tc.token)
				if path == "/v1/jobs" && code != tc.want || path != "/v1/jobs" && (code == http.StatusForbidden) != (tc.want == http.StatusForbidden) {
					t.Fatalf("PUT %s = %d %q, want %d", path, code, body, tc.want)
				}
			}
			stored, _ := ta.fake.State().JobByID(nil, "default", job.ID)
			if (stored != nil) != (tc.want == http.StatusOK) {
				t.Fatalf("job stored = %v, want %v", stored != nil, tc.want == http.StatusOK)
			}
		})
	}
}
