package agent

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestUIRoutes(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := withUI(api, api, nil)
	tests := []struct {
		name, method, path string
		wantCode           int
		wantLocation       string
	}{
		{"root redirects to the UI", "GET", "/", http.StatusTemporaryRedirect, "/ui/"},
		{"UI root goes to the jobs", "GET", "/ui/", http.StatusFound, "/ui/jobs"},
		{"UI page", "GET", "/ui/settings/tokens", http.StatusOK, ""},
		{"UI asset", "GET", "/ui/assets/ui.js", http.StatusOK, ""},
		{"API untouched", "GET", "/v1/jobs", http.StatusTeapot, ""},
		{"POST / is the API's", "POST", "/", http.StatusTeapot, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantCode || rec.Header().Get("Location") != tt.wantLocation {
				t.Errorf("%s %s = %d to %q, want %d to %q", tt.method, tt.path, rec.Code, rec.Header().Get("Location"), tt.wantCode, tt.wantLocation)
			}
		})
	}
}

func TestUIConfig(t *testing.T) {
	tests := []struct {
		name        string
		src         string
		wantEnabled bool
		wantWarning string
		wantErr     string
	}{
		{"default", ``, true, "", ""},
		{"disabled", "ui {\n  enabled = false\n}\n", false, "", ""},
		{"Nomad's other settings warn", "ui {\n  enabled = true\n  content_security_policy {\n    script_src = [\"'self'\"]\n  }\n}\n", true,
			"agent.hcl:3:3: ui.content_security_policy has no effect in nomadlike", ""},
		{"unknown setting", "ui {\n  colour = \"red\"\n}\n", true, "", "agent.hcl:2:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "agent.hcl", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfigFile = %v, want an error at %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.UI.Enabled != tt.wantEnabled {
				t.Errorf("UI.Enabled = %v, want %v", cfg.UI.Enabled, tt.wantEnabled)
			}
			if got := strings.Join(cfg.Warnings, "\n"); !strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings = %q, want %q", got, tt.wantWarning)
			}
		})
	}
}
