package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

type mapData map[Dep]any

func (m mapData) Lookup(d Dep) (any, bool) {
	v, ok := m[d]
	return v, ok
}

func TestNomadFunctions(t *testing.T) {
	env, ad, td, _ := setup(t)
	data := mapData{
		{Kind: DepVar, Name: "nomad/jobs/app", Namespace: "prod"}: &api.TmplVariable{Path: "nomad/jobs/app", Items: map[string]string{"b": "2", "a": "1"}},
		{Kind: DepVar, Name: "absent", Namespace: "prod"}:         (*api.TmplVariable)(nil),
		{Kind: DepVarList, Name: "nomad", Namespace: "prod"}:      []*api.TmplVariableMeta{{Path: "nomad/z"}, {Path: "nomad/a"}},
		{Kind: DepVarList, Name: "", Namespace: "prod"}:           []*api.TmplVariableMeta{},
		{Kind: DepService, Name: "web", Namespace: "other"}:       []*api.TmplService{{ID: "2", Address: "b", Tags: []string{"x"}}, {ID: "1", Address: "a"}},
		{Kind: DepServices, Namespace: "other"}:                   []*api.TmplServiceList{{Namespace: "other", Services: []*api.TmplServiceStub{{ServiceName: "web"}, {ServiceName: "api"}}}},
	}
	cases := []struct {
		name, body, want string
		missing          string
		err              error
	}{
		{name: "values and tuples", body: `{{ range (nomadVar "nomad/jobs/app").Values }}{{ .Key }}{{ .Value }}{{ end }} {{ range (nomadVar "nomad/jobs/app").Tuples }}{{ . }}{{ end }}`, want: "a1b2 12"},
		{name: "absent var blocks", body: `{{ nomadVar "absent" }}`, want: "map[]", missing: "nomad.var.block(absent@prod)"},
		{name: "absent var exists", body: `{{ nomadVarExists "absent" }}`, want: "false"},
		{name: "unknown var", body: `{{ nomadVarExists "unknown" }}`, want: "false", missing: "nomad.var.block(unknown@prod)"},
		{name: "list sorted, prints paths", body: `{{ nomadVarList "nomad" }}`, want: "[nomad/a nomad/z]"},
		{name: "list all", body: `{{ len nomadVarList }}`, want: "0"},
		{name: "unknown list", body: `{{ nomadVarList "zzz" }}`, want: "[]", missing: "nomad.var.list(zzz@prod)"},
		{name: "service namespace and tag", body: `{{ range nomadService "x.web@other" }}{{ .ID }}{{ end }}|{{ range nomadService "web@other" }}{{ .Address }}{{ end }}`, want: "2|ab"},
		{name: "choose all", body: `{{ len (nomadService "5" "k" "web@other") }}`, want: "2"},
		{name: "services", body: `{{ nomadServices "@other" }}`, want: "[api web]"},
		{name: "unknown services", body: `{{ nomadServices }}`, want: "[]", missing: "nomad.services(@prod)"},
		{name: "bad services args", body: `{{ nomadServices "a" "b" }}`, err: ErrBadQuery},
		{name: "bad choose count", body: `{{ nomadService 0 "k" "web" }}`, err: ErrBadQuery},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Prepare(&nomadlike.Template{EmbeddedTmpl: tc.body, DestPath: "local/x"}, env, ad, td.Dir)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Execute(data, "prod")
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Execute() error = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Execute() error = %v", err)
			}
			if string(out.Content) != tc.want {
				t.Errorf("Execute() = %q, want %q", out.Content, tc.want)
			}
			var missing []string
			for _, d := range out.Missing {
				missing = append(missing, d.String())
			}
			if strings.Join(missing, " ") != tc.missing {
				t.Errorf("missing = %v, want %q", missing, tc.missing)
			}
		})
	}
	// Without a data source the functions fail clearly.
	if _, err := Execute(`{{ nomadVar "a" }}`, "", "", env); !errors.Is(err, ErrNoData) {
		t.Errorf("Execute() without data error = %v, want ErrNoData", err)
	}
}

func TestErrorsDoNotQuoteValues(t *testing.T) {
	env, ad, td, _ := setup(t)
	data := mapData{{Kind: DepVar, Name: "app", Namespace: "default"}: &api.TmplVariable{Items: map[string]string{"pw": "s3cret"}}}
	for _, body := range []string{
		`{{ with nomadVar "app" }}{{ parseInt .pw.Value }}{{ end }}`,
		`{{ with nomadVar "app" }}{{ base64Decode .pw.Value }}{{ end }}`,
	} {
		p, err := Prepare(&nomadlike.Template{EmbeddedTmpl: body, DestPath: "local/x"}, env, ad, td.Dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Execute(data, "default")
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "error calling") {
			t.Errorf("Execute(%s) error = %v, want one that does not quote the value", body, err)
		}
	}
	if _, err := ParseEnvFile([]byte("s3cret\n")); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("ParseEnvFile() error = %v, want one that does not quote the line", err)
	}
}

func TestErrorOnMissingKey(t *testing.T) {
	env, ad, td, _ := setup(t)
	data := mapData{{Kind: DepVar, Name: "app", Namespace: "default"}: &api.TmplVariable{Items: map[string]string{"pw": "x"}}}
	body := `{{ with nomadVar "app" }}[{{ .nope }}]{{ end }}`
	for _, strict := range []bool{false, true} {
		p, err := Prepare(&nomadlike.Template{EmbeddedTmpl: body, DestPath: "local/x", ErrMissingKey: strict}, env, ad, td.Dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Execute(data, "default")
		switch {
		case strict && (err == nil || !strings.Contains(err.Error(), `map has no entry for key "nope"`)):
			t.Errorf("error_on_missing_key: Execute() error = %v, want a missing key error", err)
		case !strict && (err != nil || string(out.Content) != "[]"):
			t.Errorf("Execute() = %v, %v, want [] (the zero value)", out, err)
		}
	}
}

func TestErrorsWhileDataIsMissingWait(t *testing.T) {
	env, ad, td, _ := setup(t)
	body := `{{ with nomadVar "app" }}{{ .port.Value | parseInt }}{{ end }}{{ (nomadVar "other").x }}`
	p, err := Prepare(&nomadlike.Template{EmbeddedTmpl: body, DestPath: "local/x", ErrMissingKey: true}, env, ad, td.Dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Execute(mapData{}, "default")
	if err != nil || len(out.Missing) == 0 {
		t.Fatalf("Execute() = %+v, %v, want an incomplete output and no error", out, err)
	}
}
