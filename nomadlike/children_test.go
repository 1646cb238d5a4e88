package nomadlike_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func parameterizedJob(payload string, required, optional []string) *nomadlike.Job {
	j := fixture.BatchJob(1)
	j.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: payload, MetaRequired: required, MetaOptional: optional}
	j.Meta = map[string]string{"owner": "tests", "profile": "default"}
	j.Canonicalize()
	return j
}

func TestDispatch(t *testing.T) {
	at := time.Unix(1700000000, 0)
	cases := []struct {
		name    string
		payload string // the parent's payload rule
		req     nomadlike.DispatchRequest
		wantErr []string // FieldError strings, in order; nil for success
		wantID  string   // regexp the child ID matches
	}{
		{
			name: "required payload and meta", payload: "required",
			req:    nomadlike.DispatchRequest{Payload: []byte("hi"), Meta: map[string]string{"input": "a", "profile": "fast"}},
			wantID: `^P/dispatch-1700000000-[0-9a-f]{8}$`,
		},
		{
			name: "id prefix template", payload: "optional",
			req:    nomadlike.DispatchRequest{Meta: map[string]string{"input": "a"}, IDPrefixTemplate: "nightly"},
			wantID: `^P/dispatch-nightly-1700000000-[0-9a-f]{8}$`,
		},
		{
			name: "missing payload", payload: "required",
			req:     nomadlike.DispatchRequest{Meta: map[string]string{"input": "a"}},
			wantErr: []string{`Payload: required by the job's parameterized block (payload = "required"), none given`},
		},
		{
			name: "forbidden payload", payload: "forbidden",
			req:     nomadlike.DispatchRequest{Payload: []byte("x"), Meta: map[string]string{"input": "a"}},
			wantErr: []string{`Payload: forbidden by the job's parameterized block (payload = "forbidden"), got 1 bytes`},
		},
		{
			name: "payload too large", payload: "optional",
			req:     nomadlike.DispatchRequest{Payload: make([]byte, nomadlike.DispatchPayloadSizeLimit+1), Meta: map[string]string{"input": "a"}},
			wantErr: []string{`Payload: 16385 bytes is more than the limit of 16384`},
		},
		{
			name: "missing and unknown meta", payload: "optional",
			req: nomadlike.DispatchRequest{Meta: map[string]string{"colour": "red"}},
			wantErr: []string{
				`Meta: missing required key "input"`,
				`Meta: unknown key "colour" (allowed: input, profile)`,
			},
		},
		{
			name: "bad template", payload: "optional",
			req:     nomadlike.DispatchRequest{Meta: map[string]string{"input": "a"}, IDPrefixTemplate: "a/b"},
			wantErr: []string{`IDPrefixTemplate: contains '/' at byte 1; it is used as a file name`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := parameterizedJob(tc.payload, []string{"input"}, []string{"profile"})
			parent.ID, parent.Name = "P", "P"
			before := parent.Copy()
			child, err := parent.Dispatch(tc.req, at)
			if tc.wantErr != nil {
				var ve *nomadlike.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, nomadlike.ErrValidation) {
					t.Fatalf("Dispatch = %v, want a *ValidationError", err)
				}
				var got []string
				for _, fe := range ve.Errors {
					got = append(got, fe.String())
				}
				if strings.Join(got, "\n") != strings.Join(tc.wantErr, "\n") {
					t.Fatalf("Dispatch errors = %q, want %q", got, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dispatch = %v", err)
			}
			if !regexp.MustCompile(tc.wantID).MatchString(child.ID) {
				t.Errorf("child ID = %q, want match %s", child.ID, tc.wantID)
			}
			if child.ParentID != "P" || !child.Dispatched || child.IsParameterized() || child.Name != child.ID {
				t.Errorf("child = ParentID %q Dispatched %v IsParameterized %v Name %q", child.ParentID, child.Dispatched, child.IsParameterized(), child.Name)
			}
			if string(child.Payload) != string(tc.req.Payload) {
				t.Errorf("child payload = %q, want %q", child.Payload, tc.req.Payload)
			}
			for k, v := range tc.req.Meta {
				if child.Meta[k] != v {
					t.Errorf("child meta %s = %q, want %q", k, child.Meta[k], v)
				}
			}
			if child.Meta["owner"] != "tests" {
				t.Errorf("child lost the parent's meta: %v", child.Meta)
			}
			if err := child.Validate(); err != nil {
				t.Errorf("child.Validate() = %v", err)
			}
			if parent.Meta["profile"] != before.Meta["profile"] || parent.Dispatched {
				t.Errorf("Dispatch changed the parent: %+v", parent)
			}
		})
	}
}

func TestDispatchNotParameterized(t *testing.T) {
	j := fixture.BatchJob(1)
	if _, err := j.Dispatch(nomadlike.DispatchRequest{}, time.Now()); !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("Dispatch of a plain job = %v, want ErrValidation", err)
	}
}

func TestPeriodicChild(t *testing.T) {
	parent := fixture.BatchJob(1)
	parent.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "*/5 * * * *", SpecType: nomadlike.PeriodicSpecCron}
	parent.Version, parent.JobModifyIndex, parent.Status = 3, 42, nomadlike.JobStatusRunning
	at := time.Unix(1700000100, 0)
	child := parent.PeriodicChild(at)
	if want := parent.ID + "/periodic-1700000100"; child.ID != want || child.Name != want {
		t.Errorf("child ID, Name = %q, %q; want %q", child.ID, child.Name, want)
	}
	if child.ParentID != parent.ID || child.Periodic != nil || child.IsPeriodic() {
		t.Errorf("child ParentID %q Periodic %+v", child.ParentID, child.Periodic)
	}
	if child.Version != 0 || child.JobModifyIndex != 0 || child.Status != "" || child.SubmitTime != at.UnixNano() {
		t.Errorf("child kept the parent's bookkeeping: %+v", child)
	}
	if parent.Periodic == nil {
		t.Error("PeriodicChild changed the parent")
	}
	if err := child.Validate(); err != nil {
		t.Errorf("child.Validate() = %v", err)
	}
}
