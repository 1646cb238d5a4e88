package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
	"github.com/nomadlike/nomadlike/nomadlike/stream"
)

// eventBackend is the fake server with an event broker.
type eventBackend struct {
	*httpapitest.Server
	b *stream.Broker
}

func (e *eventBackend) EventBroker() *stream.Broker { return e.b }

// TestEventStreamACL: with ACLs on, each event reaches only a token that
// may read it (read-job in the event's namespace; node:read for nodes),
// and a token that may read none of the requested topics gets 403.
func TestEventStreamACL(t *testing.T) {
	defer httpapi.SetEventHeartbeat(100 * time.Millisecond)()
	b := stream.NewBroker(0)
	defJob, prodJob, node := fixture.Job(), fixture.Job(), fixture.Node()
	prodJob.Namespace = "prod"
	b.Publish(2, "JobRegister", []state.Change{{Table: state.TableJobs, After: defJob}})
	b.Publish(3, "JobRegister", []state.Change{{Table: state.TableJobs, After: prodJob}})
	b.Publish(4, "NodeRegister", []state.Change{{Table: state.TableNodes, After: node}})
	h := httpapi.New(httpapi.Config{Server: &eventBackend{httpapitest.NewServer(), b}, Agent: &httpapitest.Agent{Healthy: true}, ACL: newFakeResolver(t)})
	srv := httptest.NewServer(h)
	defer srv.Close()

	cases := []struct {
		name, token, query string
		code               int
		want               string // "index/topic/key ..." of the lines before the first heartbeat
	}{
		{"management sees all", "mgmt", "namespace=*", 200, "2/Job/" + defJob.ID + " 3/Job/" + prodJob.ID + " 4/Node/" + node.ID},
		{"read-job in default", "default-all", "namespace=*", 200, "2/Job/" + defJob.ID},
		{"read in prod", "prod-read", "namespace=prod&topic=Job", 200, "3/Job/" + prodJob.ID},
		{"node read", "node-read", "topic=Node", 200, "4/Node/" + node.ID},
		{"node read asks for jobs", "node-read", "topic=Job:*", 403, ""},
		{"anonymous", "", "", 403, ""},
		{"bad topic", "mgmt", "topic=Jobs", 400, ""},
		{"bad index", "mgmt", "topic=Job&index=x", 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q := tc.query
			if !strings.Contains(q, "index=") {
				q = "index=1&" + q
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/event/stream?"+q, nil)
			if tc.token != "" {
				req.Header.Set("X-Nomad-Token", tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.code)
			}
			if tc.code != 200 {
				return
			}
			var got []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() && sc.Text() != "{}" {
				var es stream.Events
				if err := json.Unmarshal(sc.Bytes(), &es); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				for _, e := range es.Events {
					got = append(got, strings.Join([]string{uitoa(e.Index), e.Topic, e.Key}, "/"))
					if p, ok := e.Payload["Node"].(map[string]any); ok && p["SecretID"] != "" {
						t.Errorf("node event carries SecretID %q", p["SecretID"])
					}
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("events = %v, want %s", got, tc.want)
			}
		})
	}
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

// gateWriter is a ResponseWriter whose every Write is handed to the test
// on wrote and blocks until the test releases it: a client that stopped
// reading.
type gateWriter struct {
	h         http.Header
	wroteCh   chan string
	releaseCh chan struct{}
}

func (g *gateWriter) Header() http.Header { return g.h }
func (g *gateWriter) WriteHeader(int)     {}
func (g *gateWriter) Write(p []byte) (int, error) {
	g.wroteCh <- string(p)
	<-g.releaseCh
	return len(p), nil
}

// TestEventStreamSlowSubscriber: a subscriber stuck in a write while the
// buffer wraps gets a last line naming the error, and the stream ends: it
// never holds events of its own.
func TestEventStreamSlowSubscriber(t *testing.T) {
	defer httpapi.SetEventHeartbeat(time.Hour)()
	b := stream.NewBroker(2)
	h := httpapi.New(httpapi.Config{Server: &eventBackend{httpapitest.NewServer(), b}, Agent: &httpapitest.Agent{Healthy: true}})
	node := fixture.Node()
	b.Publish(2, "NodeRegister", []state.Change{{Table: state.TableNodes, After: node}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := &gateWriter{h: http.Header{}, wroteCh: make(chan string), releaseCh: make(chan struct{})}
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/event/stream?index=1", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(g, req)
	}()
	next := func() string {
		select {
		case s := <-g.wroteCh:
			return s
		case <-ctx.Done():
			t.Fatal("no write before the deadline")
			return ""
		}
	}
	if first := next(); !strings.Contains(first, `"Index":2`) {
		t.Fatalf("first line = %q", first)
	}
	for i := uint64(3); i < 10; i++ { // the ring (2 entries) wraps past the subscriber
		b.Publish(i, "NodeRegister", []state.Change{{Table: state.TableNodes, After: node}})
	}
	g.releaseCh <- struct{}{}
	if last := next(); !strings.Contains(last, `"Error"`) || !strings.Contains(last, "fell behind") {
		t.Fatalf("line after the wrap = %q, want the fell-behind error", last)
	}
	g.releaseCh <- struct{}{}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the stream did not end after the error")
	}
}
