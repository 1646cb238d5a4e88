package httpapi_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

func nomadClient(t *testing.T, ta *testAPI, ns string) *nomadapi.Client {
	t.Helper()
	t.Setenv("NOMAD_NAMESPACE", "")
	c, err := nomadapi.NewClient(&nomadapi.Config{Address: ta.srv.URL, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNamespacesNomadAPI drives /v1/namespace(s) with Nomad's own Go
// client: create, read, list with a prefix, update, delete; the default
// namespace is listed and cannot be deleted.
func TestNamespacesNomadAPI(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	c := nomadClient(t, ta, "")
	nss := c.Namespaces()
	for _, n := range []*nomadapi.Namespace{
		{Name: "team-a", Description: "A team", Meta: map[string]string{"owner": "a"}},
		{Name: "team-b"},
	} {
		if _, err := nss.Register(n, nil); err != nil {
			t.Fatalf("Register(%s): %v", n.Name, err)
		}
	}
	got, _, err := nss.Info("team-a", nil)
	if err != nil || got.Name != "team-a" || got.Description != "A team" || got.Meta["owner"] != "a" || got.CreateIndex == 0 {
		t.Fatalf("Info(team-a) = %+v, %v", got, err)
	}
	list, _, err := nss.List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if names := nsNames(list); strings.Join(names, ",") != "default,team-a,team-b" {
		t.Errorf("List = %v, want default,team-a,team-b", names)
	}
	list, _, _ = nss.PrefixList("team-", nil)
	if names := nsNames(list); strings.Join(names, ",") != "team-a,team-b" {
		t.Errorf("PrefixList(team-) = %v", names)
	}
	if _, err := nss.Register(&nomadapi.Namespace{Name: "team-a", Description: "renamed"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := nss.Info("team-a", nil); got.Description != "renamed" {
		t.Errorf("updated description = %q", got.Description)
	}
	if _, err := nss.Delete("team-b", nil); err != nil {
		t.Fatalf("Delete(team-b): %v", err)
	}
	if _, _, err := nss.Info("team-b", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Info(deleted) = %v, want 404", err)
	}
	if _, err := nss.Delete("default", nil); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "cannot be deleted") {
		t.Errorf("Delete(default) = %v, want 400 cannot be deleted", err)
	}
	if _, err := nss.Register(&nomadapi.Namespace{Name: "bad name"}, nil); err == nil || !strings.Contains(err.Error(), "Name:") {
		t.Errorf("Register(bad name) = %v, want a 400 naming Name", err)
	}
}

func nsNames(list []*nomadapi.Namespace) []string {
	var out []string
	for _, n := range list {
		out = append(out, n.Name)
	}
	sort.Strings(out) // Nomad's client sorts by CreateIndex
	return out
}

// TestJobNamespacesNomadAPI: a job in an unknown namespace is refused with
// 400 naming Job.Namespace and nothing is written; two namespaces each
// have a job "web"; lists filter by ?namespace= and "*" lists all; a
// namespace with a job cannot be deleted.
func TestJobNamespacesNomadAPI(t *testing.T) {
	fake := httpapitest.NewServer()
	ta := newTestAPI(t, fake)
	node := fixture.Node()
	if _, _, err := fake.RegisterNode(node, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	c := nomadClient(t, ta, "")
	web := func(ns string) *nomadapi.Job {
		j := nomadapi.NewServiceJob("web", "web", "global", 50)
		j.Namespace = &ns
		j.Datacenters = []string{"dc1"}
		tg := nomadapi.NewTaskGroup("web", 1)
		tg.AddTask(nomadapi.NewTask("web", "exec").SetConfig("command", "/bin/sleep"))
		j.AddTaskGroup(tg)
		return j
	}
	_, _, err := c.Jobs().Register(web("team-a"), nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), `Job.Namespace: namespace "team-a" does not exist`) {
		t.Fatalf("register in unknown namespace = %v, want 400 naming Job.Namespace", err)
	}
	if jobs, _ := fake.State().Jobs(nil, nomadlike.AllNamespaces, ""); len(jobs) != 0 {
		t.Fatalf("refused register stored %d jobs", len(jobs))
	}
	if _, err := c.Namespaces().Register(&nomadapi.Namespace{Name: "team-a"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"team-a", "default"} {
		if _, _, err := c.Jobs().Register(web(ns), nil); err != nil {
			t.Fatalf("register web in %s: %v", ns, err)
		}
	}
	for _, ns := range []string{"team-a", "default"} {
		j, _, err := nomadClient(t, ta, ns).Jobs().Info("web", nil)
		if err != nil || *j.Namespace != ns {
			t.Errorf("Info(web) in %s = %v, %v", ns, j, err)
		}
		job, _ := fake.State().JobByID(nil, ns, "web")
		for _, k := range []int{0, 1} {
			fake.PutAlloc(fixture.Alloc(job, node, k))
		}
	}
	cases := []struct {
		ns        string
		jobs      []string
		allocs    int
		evalsOver int
	}{
		{"", []string{"default/web"}, 2, 0},
		{"default", []string{"default/web"}, 2, 0},
		{"team-a", []string{"team-a/web"}, 2, 0},
		{"*", []string{"default/web", "team-a/web"}, 4, 1},
		{"nope", nil, 0, -1},
	}
	for _, tc := range cases {
		t.Run("namespace="+tc.ns, func(t *testing.T) {
			cl := nomadClient(t, ta, tc.ns)
			jobs, _, err := cl.Jobs().List(nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.Namespace+"/"+j.ID)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tc.jobs, ",") {
				t.Errorf("jobs = %v, want %v", got, tc.jobs)
			}
			allocs, _, err := cl.Allocations().List(nil)
			if err != nil || len(allocs) != tc.allocs {
				t.Errorf("allocations = %d, %v; want %d", len(allocs), err, tc.allocs)
			}
			for _, a := range allocs {
				if tc.ns != "*" && tc.ns != "" && a.Namespace != tc.ns {
					t.Errorf("allocation of namespace %q listed in %q", a.Namespace, tc.ns)
				}
			}
			evals, _, err := cl.Evaluations().List(nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.evalsOver >= 0 && len(evals) <= tc.evalsOver {
				t.Errorf("evaluations = %d, want more than %d", len(evals), tc.evalsOver)
			}
			if tc.evalsOver < 0 && len(evals) != 0 {
				t.Errorf("evaluations in an unknown namespace = %d, want 0", len(evals))
			}
		})
	}
	code, _, body := ta.do(t, http.MethodDelete, "/v1/namespace/team-a", "")
	if code != http.StatusConflict || !strings.Contains(body, "non-terminal job") {
		t.Errorf("delete team-a with a job = %d %q, want 409", code, body)
	}
	// ?namespace= wins over the body's namespace, as Nomad's (the CLI's
	// -namespace flag over the job file).
	_, _, err = nomadClient(t, ta, "team-b").Jobs().Register(web("team-a"), nil)
	if err == nil || !strings.Contains(err.Error(), `namespace "team-b" does not exist`) {
		t.Errorf("register with ?namespace=team-b = %v, want 400 for team-b", err)
	}
}
