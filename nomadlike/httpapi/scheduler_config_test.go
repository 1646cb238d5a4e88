package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// TestSchedulerConfiguration: GET answers the defaults, PUT stores a
// configuration (with ?cas= honoured), and both answers decode into Nomad's
// api types.
func TestSchedulerConfiguration(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	const path = "/v1/operator/scheduler/configuration"
	getConfig := func() nomadapi.SchedulerConfigurationResponse {
		t.Helper()
		code, _, body := ta.do(t, "GET", path, "")
		var out nomadapi.SchedulerConfigurationResponse
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || out.SchedulerConfig == nil {
			t.Fatalf("GET %s = %s; decode into nomad api: %v", path, body, err)
		}
		return out
	}
	put := func(query, body string) (int, nomadapi.SchedulerSetConfigurationResponse, string) {
		t.Helper()
		code, _, raw := ta.do(t, "PUT", path+query, body)
		var out nomadapi.SchedulerSetConfigurationResponse
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				t.Fatalf("PUT %s = %s; decode into nomad api: %v", path, raw, err)
			}
		}
		return code, out, raw
	}

	if got := getConfig(); got.SchedulerConfig.SchedulerAlgorithm != nomadapi.SchedulerAlgorithmBinpack {
		t.Errorf("default algorithm = %q, want binpack", got.SchedulerConfig.SchedulerAlgorithm)
	}
	code, set, raw := put("", `{"SchedulerAlgorithm": "spread", "CandidateLimit": 16}`)
	if code != http.StatusOK || !set.Updated {
		t.Fatalf("PUT spread = %d %s, want updated", code, raw)
	}
	got := getConfig()
	if got.SchedulerConfig.SchedulerAlgorithm != nomadapi.SchedulerAlgorithmSpread || got.SchedulerConfig.ModifyIndex == 0 {
		t.Fatalf("after PUT: %+v, want spread with a ModifyIndex", got.SchedulerConfig)
	}
	if _, _, body := ta.do(t, "GET", path, ""); !strings.Contains(body, `"CandidateLimit":16`) {
		t.Errorf("GET = %s, want the CandidateLimit extension", body)
	}

	cases := []struct {
		name, query, body string
		wantCode          int
		wantUpdated       bool
		wantErr           string
	}{
		{"stale cas", "?cas=1", `{"SchedulerAlgorithm": "binpack"}`, http.StatusOK, false, ""},
		{"bad algorithm", "", `{"SchedulerAlgorithm": "random"}`, http.StatusBadRequest, false, "SchedulerAlgorithm"},
		{"bad cas", "?cas=x", `{}`, http.StatusBadRequest, false, "cas"},
		{"negative limit", "", `{"CandidateLimit": -1}`, http.StatusBadRequest, false, "CandidateLimit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, set, raw := put(tc.query, tc.body)
			if code != tc.wantCode || set.Updated != tc.wantUpdated || !strings.Contains(raw, tc.wantErr) {
				t.Errorf("PUT%s %s = %d %s, want %d updated=%v naming %q", tc.query, tc.body, code, raw, tc.wantCode, tc.wantUpdated, tc.wantErr)
			}
			if a := getConfig().SchedulerConfig.SchedulerAlgorithm; a != nomadapi.SchedulerAlgorithmSpread {
				t.Errorf("algorithm after a refused PUT = %q, want spread unchanged", a)
			}
		})
	}
	code, set, raw = put("?cas="+strconv.FormatUint(got.SchedulerConfig.ModifyIndex, 10), `{"SchedulerAlgorithm": "binpack"}`)
	if code != http.StatusOK || !set.Updated || getConfig().SchedulerConfig.SchedulerAlgorithm != nomadapi.SchedulerAlgorithmBinpack {
		t.Errorf("PUT with the current cas = %d %s, want updated to binpack", code, raw)
	}
}
