package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// startACLDevAgent starts a dev agent with ACLs enabled and returns it with
// its bootstrap (management) token; the agent's API client uses that token.
func startACLDevAgent(t *testing.T, ctx context.Context) (*devAgent, string) {
	t.Helper()
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfgPath, []byte("acl {\n  enabled = true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ports := portsTB(t, 2)
	fa := newAgent(t, dir, "dev1", []string{"agent", "-dev", "-node", "dev1", "-data-dir", filepath.Join(dir, "data"),
		"-config", cfgPath, "-log-level", "INFO",
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1])}, ports[0], ports[1])
	a := &devAgent{faultAgent: fa, tb: t, dir: dir}
	t.Cleanup(func() {
		a.stopAll()
		if t.Failed() {
			t.Logf("----- agent log (tail) -----\n%s", a.logTail(8000))
		}
	})
	a.Start()
	var tok *nomadlike.ACLToken
	poll.Until(t, ctxLeft(ctx), "the ACL bootstrap", func() (bool, string) {
		var err error
		tok, _, err = fa.client.ACLTokens().Bootstrap(ctx, "", nil)
		return err == nil, fmt.Sprintf("ACL bootstrap: %v", err)
	})
	mc, err := api.NewClient(api.Config{Address: "http://" + a.HTTPAddr(), Token: tok.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	fa.client = mc
	return a, tok.SecretID
}

// TestUIACLTokenForm: with ACLs on, the UI without a token explains the 403
// and offers the token form; a token entered there opens the page, which
// shows only what the token can read (a job of another namespace is not
// listed, and its page is refused with the reason).
func TestUIACLTokenForm(t *testing.T) {
	ctx := newBrowser(t, 3*time.Minute)
	actx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, _ := startACLDevAgent(t, actx)
	cl := a.api()
	if _, err := cl.Namespaces().Register(actx, &nomadlike.Namespace{Name: "team"}, nil); err != nil {
		t.Fatalf("namespace: %v", err)
	}
	for _, ns := range []string{"team", "default"} {
		j := parseJob(t, uiWebJob(ns+"-job", "acl"))
		j.Namespace = ns
		if _, _, err := cl.Jobs().Register(actx, j, nil); err != nil {
			t.Fatalf("register %s: %v", ns, err)
		}
	}
	if _, err := cl.ACLPolicies().Upsert(actx, &nomadlike.ACLPolicy{Name: "team-read",
		Rules: `namespace "team" { policy = "read" }`}, nil); err != nil {
		t.Fatalf("policy: %v", err)
	}
	tok, _, err := cl.ACLTokens().Create(actx, &nomadlike.ACLToken{Name: "team reader", Type: "client", Policies: []string{"team-read"}}, nil)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	base := "http://" + a.HTTPAddr()

	browse(t, ctx, "open the jobs page without a token: the token form",
		chromedp.Navigate(base+"/ui/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`form.token input#token`)))
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(body, "ACLs are enabled on this cluster and you have not given a token") {
		t.Errorf("jobs page without a token = %q, want the token form with why", clipText(body, 500))
	}
	if strings.Contains(body, "default-job") || strings.Contains(body, "team-job") {
		t.Errorf("jobs page without a token lists jobs: %q", clipText(body, 500))
	}
	uiShot(t, ctx, "token")
	browse(t, ctx, "an anonymous job page is refused with the reason and the form",
		chromedp.Navigate(base+"/ui/job?id=default-job&namespace=default"),
		chromedp.WaitVisible(chromedp.CSS(`#error-title`)),
		chromedp.WaitVisible(chromedp.CSS(`form.token input#token`)))
	if anon, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live`))); !strings.Contains(anon, "Permission denied") {
		t.Errorf("anonymous job page = %q, want Permission denied", clipText(anon, 500))
	}

	browse(t, ctx, "enter the token (the form comes back to the page it was on)",
		chromedp.Navigate(base+"/ui/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`form.token input#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), tok.SecretID),
		chromedp.Submit(chromedp.CSS(`form.token`)),
		chromedp.WaitVisible(chromedp.CSS(`#jobs-table a[href*="id=team-job&"]`)))
	list, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#jobs-table`)))
	if strings.Contains(list, "default-job") {
		t.Errorf("the team token's jobs list shows default-job: %q", clipText(list, 500))
	}
	browse(t, ctx, "open a job the token cannot read",
		chromedp.Navigate(base+"/ui/job?id=default-job&namespace=default"),
		chromedp.WaitVisible(chromedp.CSS(`#error-title`)))
	denied, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live`)))
	if !strings.Contains(denied, "Your token does not allow this page") || strings.Contains(denied, "raw_exec") {
		t.Errorf("the other namespace's job page = %q, want it refused with the reason", clipText(denied, 500))
	}
	browse(t, ctx, "the token page names the token",
		chromedp.Navigate(base+"/ui/settings/tokens"),
		waitJS(`document.getElementById('token-name') && document.getElementById('token-name').textContent === 'team reader'`))
	cookies, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if strings.Contains(cookies, tok.SecretID) {
		t.Errorf("document.cookie = %q: the token cookie must be HttpOnly", cookies)
	}
}
