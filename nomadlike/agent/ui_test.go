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
	cases := []configCase[bool]{
		{name: "default", src: ``, want: true},
		{name: "disabled", src: "ui {\n  enabled = false\n}\n", want: false},
		{name: "Nomad's other settings warn", src: "ui {\n  enabled = true\n  content_security_policy {\n    script_src = [\"'self'\"]\n  }\n}\n", want: true,
			warnings: []string{"a.hcl:3:3: ui.content_security_policy has no effect in nomadlike"}},
		{name: "unknown setting", src: "ui {\n  colour = \"red\"\n}\n", errText: "a.hcl:2:3"},
	}
	runConfigTable(t, configTable[bool]{
		field: "UI.Enabled",
		get:   func(c *Config) bool { return c.UI.Enabled },
		// The UI's warnings are the agent's (cfg.Warnings), among others.
		warnings: func(c *Config) []string {
			var ui []string
			for _, w := range c.Warnings {
				if strings.Contains(w, "ui.") {
					ui = append(ui, w)
				}
			}
			return ui
		},
	}, cases)
}
