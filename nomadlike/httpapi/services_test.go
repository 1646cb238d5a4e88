package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// catalogAPI stores a node, a job and three running allocations, and
// registers one "web" instance per allocation through the clients'
// internal route (the node's SecretID); the second one is critical.
func catalogAPI(t *testing.T) (*testAPI, *nomadlike.Node, []*nomadlike.Allocation) {
	t.Helper()
	fake := httpapitest.NewServer()
	ta := newTestAPI(t, fake)
	node := fixture.Node()
	if _, _, err := fake.RegisterNode(node, ""); err != nil {
		t.Fatal(err)
	}
	job := fixture.Job()
	if _, _, _, err := fake.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	var allocs []*nomadlike.Allocation
	var regs []*nomadlike.ServiceRegistration
	for i := range 3 {
		a := fixture.Alloc(job, node, i)
		a.ClientStatus = nomadlike.AllocClientStatusRunning
		fake.PutAlloc(a)
		allocs = append(allocs, a)
		status := nomadlike.ServiceStatusPassing
		if i == 1 {
			status = nomadlike.ServiceStatusCritical
		}
		regs = append(regs, &nomadlike.ServiceRegistration{
			ID: nomadlike.ServiceRegistrationID(a.ID, a.TaskGroup, "", "web", "http"), ServiceName: "web", Namespace: "default",
			NodeID: node.ID, JobID: job.ID, AllocID: a.ID, Tags: []string{fmt.Sprintf("v%d", i), "http"},
			Address: "10.0.0.1", Port: 8000 + i, Status: status,
		})
	}
	if _, err := ta.client.UpsertServiceRegistrations(testCtx(t), node.SecretID, regs); err != nil {
		t.Fatal(err)
	}
	return ta, node, allocs
}

// TestServicesNomadAPI reads the catalog with Nomad's own Go client: the
// list per namespace, a service's instances (all, a chosen subset, only
// passing ones), an allocation's, and a delete.
func TestServicesNomadAPI(t *testing.T) {
	ta, _, allocs := catalogAPI(t)
	c := nomadClient(t, ta, "default")

	list, qm, err := c.Services().List(nil)
	if err != nil || qm.LastIndex == 0 {
		t.Fatalf("List = %v, %+v", err, qm)
	}
	if len(list) != 1 || list[0].Namespace != "default" || len(list[0].Services) != 1 ||
		list[0].Services[0].ServiceName != "web" || strings.Join(list[0].Services[0].Tags, ",") != "http,v0,v1,v2" {
		t.Fatalf("List = %+v, want default: web [http v0 v1 v2]", list)
	}

	regs, _, err := c.Services().Get("web", nil)
	if err != nil || len(regs) != 3 {
		t.Fatalf("Get(web) = %d, %v; want 3", len(regs), err)
	}
	r := regs[0]
	if r.ServiceName != "web" || r.Namespace != "default" || r.AllocID == "" || r.NodeID == "" || r.JobID == "" ||
		r.Address != "10.0.0.1" || r.Port < 8000 || r.CreateIndex == 0 || r.ModifyIndex == 0 || r.Datacenter == "x" {
		t.Errorf("Get(web)[0] = %+v", r)
	}

	passing, _, err := c.Services().Get("web", &nomadapi.QueryOptions{Params: map[string]string{"passing": "true"}})
	if err != nil || len(passing) != 2 {
		t.Errorf("Get(web, passing) = %d, %v; want 2", len(passing), err)
	}
	for _, p := range passing {
		if p.AllocID == allocs[1].ID {
			t.Errorf("passing=true returned the critical instance")
		}
	}

	chosen := func(key string) []string {
		got, _, err := c.Services().Get("web", &nomadapi.QueryOptions{Params: map[string]string{"choose": "2|" + key}})
		if err != nil || len(got) != 2 {
			t.Fatalf("Get(web, choose 2|%s) = %d, %v", key, len(got), err)
		}
		return []string{got[0].ID, got[1].ID}
	}
	if a, b := chosen("client-1"), chosen("client-1"); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("choose is not consistent: %v then %v", a, b)
	}
	if _, _, err := c.Services().Get("web", &nomadapi.QueryOptions{Params: map[string]string{"choose": "zero"}}); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("choose=zero = %v, want 400", err)
	}

	none, _, err := c.Services().Get("nothing", nil)
	if err != nil || len(none) != 0 {
		t.Errorf("Get(nothing) = %v, %v; want empty", none, err)
	}

	byAlloc, _, err := c.Allocations().Services(allocs[2].ID, nil)
	if err != nil || len(byAlloc) != 1 || byAlloc[0].Port != 8002 {
		t.Fatalf("Allocations().Services = %+v, %v", byAlloc, err)
	}

	if _, err := c.Services().Delete("web", byAlloc[0].ID, nil); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if regs, _, _ := c.Services().Get("web", nil); len(regs) != 2 {
		t.Errorf("after delete: %d instances, want 2", len(regs))
	}
	if _, err := c.Services().Delete("web", "unknown", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Delete(unknown) = %v, want 404", err)
	}
}

// TestServicesBlockingQuery: a read with ?index= returns when an instance
// changes, with a larger X-Nomad-Index.
func TestServicesBlockingQuery(t *testing.T) {
	ta, node, allocs := catalogAPI(t)
	ctx := testCtx(t)
	_, qm, err := ta.client.Services().Get(ctx, "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []*nomadlike.ServiceRegistration, 1)
	go func() {
		regs, _, _ := ta.client.Services().Get(ctx, "web", &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 10 * time.Second, Params: map[string]string{"passing": "true"}})
		done <- regs
	}()
	fixed := &nomadlike.ServiceRegistration{
		ID: nomadlike.ServiceRegistrationID(allocs[1].ID, allocs[1].TaskGroup, "", "web", "http"), ServiceName: "web", Namespace: "default",
		NodeID: node.ID, JobID: allocs[1].JobID, AllocID: allocs[1].ID, Tags: []string{"v1", "http"}, Address: "10.0.0.1", Port: 8001,
		Status: nomadlike.ServiceStatusPassing,
	}
	if _, err := ta.client.UpsertServiceRegistrations(ctx, node.SecretID, []*nomadlike.ServiceRegistration{fixed}); err != nil {
		t.Fatal(err)
	}
	select {
	case regs := <-done:
		if len(regs) != 3 {
			t.Errorf("blocking read returned %d passing instances, want 3", len(regs))
		}
	case <-ctx.Done():
		t.Fatal("blocking read did not return")
	}
}

// TestClientServicesNeedTheNodeSecret: the internal route refuses a
// request without the node's secret and writes nothing.
func TestClientServicesNeedTheNodeSecret(t *testing.T) {
	ta, node, allocs := catalogAPI(t)
	reg := &nomadlike.ServiceRegistration{ID: "forged", ServiceName: "evil", Namespace: "default", NodeID: node.ID,
		JobID: allocs[0].JobID, AllocID: allocs[0].ID, Address: "6.6.6.6", Port: 1}
	for _, secret := range []string{"", "wrong"} {
		_, err := ta.client.UpsertServiceRegistrations(context.Background(), secret, []*nomadlike.ServiceRegistration{reg})
		if err == nil {
			t.Errorf("upsert with secret %q succeeded", secret)
		}
	}
	status, _, _ := ta.do(t, http.MethodGet, "/v1/service/evil", "")
	if regs, _, _ := ta.client.Services().Get(context.Background(), "evil", nil); len(regs) != 0 || status != http.StatusOK {
		t.Errorf("forged registration stored: %+v (status %d)", regs, status)
	}
}

// TestServicesACL: with ACLs on, a service read needs read-job on the
// namespace or a node's SecretID (a client's DNS interface), and the
// delete needs submit-job; a namespace=* list shows only what the token
// may read.
func TestServicesACL(t *testing.T) {
	fx := newACLFixture(t)
	regs := []*nomadlike.ServiceRegistration{
		{ID: "d1", ServiceName: "web", Namespace: "default", NodeID: fx.node.ID, JobID: fx.job.ID, AllocID: fx.alloc.ID, Address: "10.0.0.1", Port: 1},
		{ID: "p1", ServiceName: "db", Namespace: "prod", NodeID: fx.otherNode.ID, JobID: fx.prodJob.ID, AllocID: fx.prodAlloc.ID, Address: "10.0.0.2", Port: 2},
	}
	if _, err := fx.ta.fake.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertServiceRegistrations(index, regs) }); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path, token string
		want                      int
		body                      string
	}{
		{"read-job reads", http.MethodGet, "/v1/service/web", "cap:read-job", http.StatusOK, `"d1"`},
		{"node secret reads", http.MethodGet, "/v1/service/web", fx.node.SecretID, http.StatusOK, `"d1"`},
		{"other capability is refused", http.MethodGet, "/v1/service/web", "cap:list-jobs", http.StatusForbidden, ""},
		{"anonymous is refused", http.MethodGet, "/v1/service/web", "", http.StatusForbidden, ""},
		{"list of every namespace is filtered", http.MethodGet, "/v1/services?namespace=*", "cap:read-job", http.StatusOK, `"web"`},
		{"read-job cannot delete", http.MethodDelete, "/v1/service/web/d1", "cap:read-job", http.StatusForbidden, ""},
		{"node secret cannot delete", http.MethodDelete, "/v1/service/web/d1", fx.node.SecretID, http.StatusForbidden, ""},
		// A workload identity reads its namespace's services, nothing more.
		{"workload reads its namespace", http.MethodGet, "/v1/service/web", "workload:app", http.StatusOK, `"d1"`},
		{"workload list is filtered", http.MethodGet, "/v1/services?namespace=*", "workload:app", http.StatusOK, `"web"`},
		{"workload reads its namespace's allocation", http.MethodGet, "/v1/allocation/" + fx.alloc.ID + "/services", "workload:app", http.StatusOK, `"d1"`},
		{"workload cannot read another namespace", http.MethodGet, "/v1/service/db?namespace=prod", "workload:app", http.StatusForbidden, ""},
		{"workload cannot read another namespace's allocation", http.MethodGet, "/v1/allocation/" + fx.prodAlloc.ID + "/services", "workload:app", http.StatusForbidden, ""},
		{"workload cannot delete", http.MethodDelete, "/v1/service/web/d1", "workload:app", http.StatusForbidden, ""},
		{"workload cannot list jobs", http.MethodGet, "/v1/jobs", "workload:app", http.StatusForbidden, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, fx.ta.srv.URL+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("X-Nomad-Token", tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.body) {
				t.Fatalf("%s %s = %d %s, want %d containing %s", tc.method, tc.path, resp.StatusCode, body, tc.want, tc.body)
			}
			if strings.Contains(tc.path, "namespace=*") && strings.Contains(string(body), `"db"`) {
				t.Errorf("list shows prod's service to a default-only token: %s", body)
			}
		})
	}
}
