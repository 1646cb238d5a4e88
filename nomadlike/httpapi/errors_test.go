package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestDecodeJSONFieldPath(t *testing.T) {
	type req struct {
		Job *nomadlike.Job `json:"Job"`
	}
	cases := []struct {
		name string
		body string
		want string
	}{
		{"group count", `{"Job": {"ID": "a", "TaskGroups": [{"Name": "x", "Count": 1}, {"Name": "y", "Count": "three"}]}}`,
			"Job.TaskGroups[1].Count: cannot unmarshal string into int"},
		{"nested task", `{"Job": {"TaskGroups": [{"Tasks": [{"Name": "t", "Resources": {"CPU": "x"}}]}]}}`,
			"Job.TaskGroups[0].Tasks[0].Resources.CPU: cannot unmarshal string into int"},
		{"top level", `{"Job": {"Priority": true}}`, "Job.Priority: cannot unmarshal bool into int"},
		{"object for string", `{"Job": {"ID": {"a": 1}}}`, "Job.ID: cannot unmarshal object into string"},
		{"array for object", `{"Job": []}`, "Job: cannot unmarshal array into Job"},
		{"after arrays", `{"Job": {"Datacenters": ["a", "b"], "Meta": {"k": 1}}}`, "Job.Meta.k: cannot unmarshal number into string"},
		{"syntax", "{\n  \"Job\": {,}\n}", "malformed JSON at line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out req
			err := decodeJSON([]byte(tc.body), &out)
			if err == nil {
				t.Fatalf("decodeJSON(%s) = nil, want %q", tc.body, tc.want)
			}
			if statusFor(err) != http.StatusBadRequest {
				t.Errorf("statusFor(%v) = %d, want 400", err, statusFor(err))
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) {
				t.Errorf("decodeJSON(%s) = %q, want it to contain %q", tc.body, msg, tc.want)
			}
		})
	}
}

func TestStatusFor(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("job %q: %w", "x", nomadlike.ErrJobNotFound), 404},
		{notFound("node", "x"), 404},
		{&nomadlike.ValidationError{Errors: []nomadlike.FieldError{{Path: "ID", Message: "missing"}}}, 400},
		{badRequest("bad"), 400},
		{fmt.Errorf("enforce: %w", nomadlike.ErrIndexMismatch), 409},
		{nomadlike.ErrPermission, 403},
		{nomadlike.ErrNoLeader, 500},
		{errors.New("boom"), 500},
	}
	for _, tc := range cases {
		if got := statusFor(tc.err); got != tc.want {
			t.Errorf("statusFor(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
