package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
)

func TestTemplateDepsRequests(t *testing.T) {
	var got []string
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		tokens = append(tokens, r.Header.Get("X-Nomad-Token"))
		w.Header().Set("X-Nomad-Index", "7")
		var body any
		switch r.URL.Path {
		case "/v1/var/nomad/jobs/app":
			body = &nomadapi.Variable{Namespace: "prod", Path: "nomad/jobs/app", Items: nomadapi.VariableItems{"k": "v"}, ModifyIndex: 7}
		case "/v1/vars":
			body = []*nomadapi.VariableMetadata{{Namespace: "prod", Path: "nomad/jobs/app"}}
		case "/v1/service/web":
			body = []*nomadapi.ServiceRegistration{{ID: "s1", ServiceName: "web", Address: "10.0.0.1", Port: 80, Tags: []string{"a"}}}
		case "/v1/services":
			body = []*nomadapi.ServiceRegistrationListStub{{Namespace: "prod", Services: []*nomadapi.ServiceRegistrationStub{{ServiceName: "web", Tags: []string{"a"}}}}}
		default:
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	c, err := NewClient(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := &QueryOptions{Namespace: "prod", WaitIndex: 5, WaitTime: time.Second, AuthToken: "tok"}
	v, qm, err := c.GetVariable(ctx, "/nomad/jobs/app", q)
	if err != nil || v.Items["k"] != "v" || v.Namespace != "prod" || qm.LastIndex != 7 {
		t.Fatalf("GetVariable() = %+v, %+v, %v", v, qm, err)
	}
	list, _, err := c.ListVariables(ctx, &QueryOptions{Prefix: "nomad/jobs"})
	if err != nil || len(list) != 1 || list[0].Path != "nomad/jobs/app" {
		t.Fatalf("ListVariables() = %+v, %v", list, err)
	}
	svcs, _, err := c.ServiceInstances(ctx, "web", nil)
	if err != nil || len(svcs) != 1 || svcs[0].Address != "10.0.0.1" || svcs[0].Port != 80 || svcs[0].ServiceName != "web" {
		t.Fatalf("ServiceInstances() = %+v, %v", svcs, err)
	}
	stubs, _, err := c.ListServices(ctx, nil)
	if err != nil || len(stubs) != 1 || stubs[0].Services[0].ServiceName != "web" {
		t.Fatalf("ListServices() = %+v, %v", stubs, err)
	}
	if _, _, err := c.GetVariable(ctx, "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetVariable(missing) error = %v, want ErrNotFound", err)
	}
	want := []string{
		"/v1/var/nomad/jobs/app?index=5&namespace=prod&wait=1s",
		"/v1/vars?prefix=nomad%2Fjobs",
		"/v1/service/web?",
		"/v1/services?",
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("request %d = %s, want %s", i, got[i], w)
		}
	}
	if tokens[0] != "tok" {
		t.Errorf("token = %q, want tok", tokens[0])
	}
}
