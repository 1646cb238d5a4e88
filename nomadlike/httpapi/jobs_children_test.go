package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

func TestJobDispatchEndpoint(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	parent := fixture.BatchJob(1)
	parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadRequired, MetaRequired: []string{"input"}}
	if _, _, err := ta.client.Jobs().Register(ctx, parent, nil); err != nil {
		t.Fatal(err)
	}
	path := "/v1/job/" + parent.ID + "/dispatch"
	cases := []struct {
		name, body string
		code       int
		want       string // in the body
	}{
		{"missing meta", `{"Payload": "aGk="}`, http.StatusBadRequest, `Meta: missing required key "input"`},
		{"unknown meta", `{"Payload": "aGk=", "Meta": {"input": "a", "colour": "red"}}`, http.StatusBadRequest, `Meta: unknown key "colour" (allowed: input)`},
		{"missing payload", `{"Meta": {"input": "a"}}`, http.StatusBadRequest, `Payload: required`},
		{"bad base64", `{"Payload": "%%%", "Meta": {"input": "a"}}`, http.StatusBadRequest, `Payload: not valid base64`},
		{"job ID mismatch", `{"JobID": "other"}`, http.StatusBadRequest, `JobID: "other" does not match`},
		{"wrong meta type", `{"Meta": {"input": 3}}`, http.StatusBadRequest, `Meta.input: cannot unmarshal number into string`},
		{"ok", `{"Payload": "aGk=", "Meta": {"input": "a"}}`, http.StatusOK, `"DispatchedJobID":"` + parent.ID + `/dispatch-`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := ta.do(t, http.MethodPut, path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("PUT %s %s = %d %q, want %d containing %q", path, tc.body, code, body, tc.code, tc.want)
			}
			if code != http.StatusOK {
				return
			}
			var resp api.JobDispatchResponse
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.EvalID == "" || resp.Index == 0 || resp.EvalCreateIndex != resp.Index || resp.JobCreateIndex != resp.Index ||
				hdr.Get("X-Nomad-Index") == "" {
				t.Errorf("dispatch reply = %+v, headers %v", resp, hdr)
			}
			child, _, err := ta.client.Jobs().Info(ctx, resp.DispatchedJobID, nil)
			if err != nil || string(child.Payload) != "hi" || !child.Dispatched || child.Meta["input"] != "a" {
				t.Errorf("child through the API = %+v, %v", child, err)
			}
		})
	}

	// The Go client: same shape.
	resp, wm, err := ta.client.Jobs().Dispatch(ctx, parent.ID, map[string]string{"input": "b"}, []byte("payload"), "nightly", nil)
	if err != nil || !strings.HasPrefix(resp.DispatchedJobID, parent.ID+"/dispatch-nightly-") || wm.LastIndex != resp.Index {
		t.Fatalf("Dispatch = %+v, %+v, %v", resp, wm, err)
	}
	_, _, err = ta.client.Jobs().Dispatch(ctx, "nope", nil, nil, "", nil)
	if !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Dispatch(missing job) = %v, want not found", err)
	}
}

func TestJobPeriodicForceEndpoint(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	job := fixture.BatchJob(1)
	job.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "0 0 1 1 *"}
	plain := fixture.BatchJob(1)
	for _, j := range []*nomadlike.Job{job, plain} {
		if _, _, err := ta.client.Jobs().Register(ctx, j, nil); err != nil {
			t.Fatal(err)
		}
	}
	resp, wm, err := ta.client.Jobs().PeriodicForce(ctx, job.ID, nil)
	if err != nil || resp.EvalID == "" || resp.Index == 0 || resp.EvalCreateIndex != resp.Index || wm.LastIndex != resp.Index {
		t.Fatalf("PeriodicForce = %+v, %+v, %v", resp, wm, err)
	}
	ev, _, err := ta.client.Evaluations().Info(ctx, resp.EvalID, nil)
	if err != nil || !strings.HasPrefix(ev.JobID, job.ID+"/periodic-") {
		t.Fatalf("forced eval = %+v, %v; want one for a child", ev, err)
	}
	code, _, body := ta.do(t, http.MethodPost, "/v1/job/"+plain.ID+"/periodic/force", "")
	if code != http.StatusBadRequest || !strings.Contains(body, "not a periodic job") {
		t.Errorf("force of a plain job = %d %q, want 400", code, body)
	}
}
