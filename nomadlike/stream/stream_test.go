package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/state"
	"github.com/nomadlike/nomadlike/nomadlike/stream"
)

// applied is a real FSM over a real store publishing to a broker.
func applied(t *testing.T, size int) (*fsm.FSM, *stream.Broker) {
	t.Helper()
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	f := fsm.New(s, nil)
	b := stream.NewBroker(size)
	f.SetChangeSink(b)
	return f, b
}

func apply(t *testing.T, f *fsm.FSM, index uint64, typ fsm.MessageType, req any) {
	t.Helper()
	data, err := fsm.Encode(typ, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp := f.Apply(&raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: time.Now()}); resp != nil {
		t.Fatalf("Apply(%s at %d) = %v", typ, index, resp)
	}
}

func next(t *testing.T, s *stream.Subscription) *stream.Events {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	es, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next() = %v", err)
	}
	return es
}

func summary(es *stream.Events) string {
	var parts []string
	for _, e := range es.Events {
		parts = append(parts, fmt.Sprintf("%s/%s/%s@%d", e.Topic, e.Type, e.Key, e.Index))
	}
	return fmt.Sprintf("%d:%s", es.Index, strings.Join(parts, ","))
}

// world applies a node (1), a job with its eval (2) and an allocation
// placed by the client's update (3).
func world(t *testing.T, f *fsm.FSM) (*nomadlike.Node, *nomadlike.Job, *nomadlike.Allocation) {
	node, job := fixture.Node(), fixture.Job()
	node.SecretID = "node-secret-must-not-leak"
	apply(t, f, 1, fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: node})
	apply(t, f, 2, fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: job, Eval: fixture.Eval(job)})
	alloc := fixture.Alloc(job, node, 0)
	apply(t, f, 3, fsm.AllocUpdateRequestType, &fsm.AllocUpdateRequest{Allocs: []*nomadlike.Allocation{alloc}, Job: job})
	return node, job, alloc
}

func TestEventsFromFSM(t *testing.T) {
	f, b := applied(t, 0)
	sub := b.Subscribe(0, stream.Filter{})
	node, job, alloc := world(t, f)
	want := []string{
		fmt.Sprintf("1:Node/NodeRegistration/%s@1", node.ID),
		"", // job and eval, in the store's order: checked below
		// The job's status changes with its first allocation.
		fmt.Sprintf("3:Allocation/AllocationUpdateDesiredStatus/%s@3,Job/JobRegistered/%s@3", alloc.ID, job.ID),
	}
	for i, w := range want {
		es := next(t, sub)
		got := summary(es)
		if i == 1 {
			if !strings.Contains(got, "Job/JobRegistered/"+job.ID+"@2") || !strings.Contains(got, "Evaluation/EvaluationUpdated/") {
				t.Errorf("entry 2 = %s, want JobRegistered and EvaluationUpdated", got)
			}
			continue
		}
		if !strings.HasPrefix(got, w) {
			t.Errorf("entry %d = %s, want %s", i+1, got, w)
		}
		for _, e := range es.Events {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), node.SecretID) {
				t.Errorf("node event carries the node's SecretID: %.200s", b)
			}
			if _, ok := e.Payload["Allocation"]; ok && (strings.Contains(string(b), `"Job":{`) || e.FilterKeys[0] != job.ID) {
				t.Errorf("allocation event = %.300s, want no Job and FilterKeys [job ID]", b)
			}
		}
	}
}

func TestSubscribeFilterAndResume(t *testing.T) {
	f, b := applied(t, 0)
	_, job, _ := world(t, f)
	cases := []struct {
		name   string
		index  uint64
		filter stream.Filter
		want   string // the first entry's summary prefix
	}{
		{"resume after 1", 1, stream.Filter{}, "2:"},
		{"resume after 2, allocations", 2, stream.Filter{Topics: map[string][]string{stream.TopicAllocation: {"*"}}}, "3:Allocation/"},
		{"by job key", 0 + 1, stream.Filter{Topics: map[string][]string{stream.TopicJob: {job.ID}}}, "2:Job/JobRegistered/" + job.ID},
		{"allocations by job filter key", 1, stream.Filter{Topics: map[string][]string{stream.TopicAllocation: {job.ID}}}, "3:Allocation/"},
		{"index older than the buffer starts at its oldest", 0 + 1, stream.Filter{Topics: map[string][]string{stream.TopicNode: {"*"}, stream.TopicAll: {"*"}}}, "2:"},
		{"other namespace", 1, stream.Filter{Namespace: "other", Topics: map[string][]string{stream.TopicJob: {"*"}, stream.TopicNode: {"*"}}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub := b.Subscribe(tc.index, tc.filter)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			es, err := sub.Next(ctx)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Next() = %s, want nothing", summary(es))
				}
				return
			}
			if err != nil || !strings.HasPrefix(summary(es), tc.want) {
				t.Fatalf("Next() = %v, %v; want %s...", es, err, tc.want)
			}
		})
	}
}

// TestSlowSubscriberClosed: a subscriber that does not read while more
// entries than the buffer holds are published is closed with
// ErrSubscriberBehind; the buffer never grows.
func TestSlowSubscriberClosed(t *testing.T) {
	f, b := applied(t, 4)
	fast := b.Subscribe(0, stream.Filter{})
	slow := b.Subscribe(0, stream.Filter{})
	node := fixture.Node()
	for i := uint64(1); i <= 10; i++ {
		apply(t, f, i, fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: node})
		if es := next(t, fast); es.Index != i {
			t.Fatalf("fast subscriber got index %d, want %d", es.Index, i)
		}
	}
	if _, err := slow.Next(context.Background()); !errors.Is(err, stream.ErrSubscriberBehind) {
		t.Fatalf("slow Next() = %v, want ErrSubscriberBehind", err)
	}
	// Resuming from an index still buffered works.
	if es := next(t, b.Subscribe(7, stream.Filter{})); es.Index != 8 {
		t.Errorf("resume after 7 = index %d, want 8", es.Index)
	}
	b.Close()
	if _, err := fast.Next(context.Background()); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
}

func TestParseTopics(t *testing.T) {
	cases := []struct {
		name    string
		params  []string
		want    string
		wantErr bool
	}{
		{"none", nil, "map[]", false},
		{"topic alone", []string{"Job"}, "map[Job:[*]]", false},
		{"keys", []string{"Job:web", "Job:api", "Allocation:*"}, "map[Allocation:[*] Job:[web api]]", false},
		{"all", []string{"*"}, "map[*:[*]]", false},
		{"Nomad topic without events here", []string{"Deployment:*"}, "map[Deployment:[*]]", false},
		{"unknown", []string{"Jobs:*"}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := stream.ParseTopics(tc.params)
			if (err != nil) != tc.wantErr || (err == nil && fmt.Sprint(got) != tc.want) {
				t.Errorf("ParseTopics(%q) = %v, %v; want %s (error %v)", tc.params, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestBufferEventCap: entries are dropped oldest first once the buffer
// holds more than MaxBufferedEvents events; the newest is always kept.
func TestBufferEventCap(t *testing.T) {
	b := stream.NewBroker(0)
	node := fixture.Node()
	big := make([]state.Change, stream.MaxBufferedEvents/2+1)
	for i := range big {
		big[i] = state.Change{Table: state.TableNodes, After: node}
	}
	for i := uint64(1); i <= 3; i++ {
		b.Publish(i, "NodeRegister", big)
	}
	// Entries 1 and 2 cannot both stay with 3: only 3 is left.
	if es := next(t, b.Subscribe(1, stream.Filter{})); es.Index != 3 {
		t.Errorf("oldest buffered entry = %d, want 3", es.Index)
	}
	huge := make([]state.Change, stream.MaxBufferedEvents+1)
	for i := range huge {
		huge[i] = state.Change{Table: state.TableNodes, After: node}
	}
	b.Publish(4, "NodeRegister", huge)
	if es := next(t, b.Subscribe(1, stream.Filter{})); es.Index != 4 || len(es.Events) != len(huge) {
		t.Errorf("after a huge entry: first = %d with %d events, want 4 with %d", es.Index, len(es.Events), len(huge))
	}
}
