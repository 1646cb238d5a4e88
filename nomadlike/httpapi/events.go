package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
	"github.com/nomadlike/nomadlike/nomadlike/stream"
)

// EventSource is the optional capability of a Backend with an event
// stream (*server.Server has it); without it /v1/event/stream answers 501.
type EventSource interface {
	EventBroker() *stream.Broker
}

// eventHeartbeat is how often an idle event stream sends "{}".
var eventHeartbeat = 10 * time.Second

// eventWriteTimeout bounds one write of the stream: a client that stops
// reading for that long is disconnected instead of holding the stream.
const eventWriteTimeout = 30 * time.Second

// eventStream serves GET /v1/event/stream?topic=Job:*&namespace=&index=
// as Nomad does: one JSON object per line, {"Index":N,"Events":[...]}, and
// {} every 10s while idle. With ACLs on, Job, Evaluation and Allocation
// events need read-job in their namespace and Node events node:read; a
// token that may read none of the requested topics gets 403. A subscriber
// that falls behind the buffer gets a last line {"Error": "..."} and the
// stream ends; it resumes with ?index=.
func (h *Handler) eventStream(w http.ResponseWriter, r *http.Request) {
	src, ok := h.cfg.Server.(EventSource)
	if !ok || src.EventBroker() == nil {
		http.Error(w, "this server has no event stream", http.StatusNotImplemented)
		return
	}
	q := r.URL.Query()
	topics, err := stream.ParseTopics(q["topic"])
	if err != nil {
		writeError(w, badRequest("%v", err))
		return
	}
	var index uint64
	if s := q.Get("index"); s != "" {
		if index, err = strconv.ParseUint(s, 10, 64); err != nil {
			writeError(w, badRequest("index: want a raft index, got %q", clipParam(s)))
			return
		}
	}
	f := stream.Filter{Topics: topics, Namespace: namespaceParam(r)}
	if a := aclFrom(r); a != nil && !a.IsManagement() {
		if !anyTopicAllowed(a, topics, f.Namespace) {
			writeError(w, fmt.Errorf("event stream: %w: the token may read none of the requested topics in namespace %q", nomadlike.ErrPermission, f.Namespace))
			return
		}
		f.Allow = func(ev *stream.Event) bool { return eventAllowed(a, ev.Topic, ev.Namespace) }
	}
	sub := src.EventBroker().Subscribe(index, f)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(v any) error {
		b, err := jsonx.Append(nil, v)
		if err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		_ = rc.Flush()
		return nil
	}
	_ = rc.Flush() // the headers, so that the client's request returns
	for {
		ctx, cancel := context.WithTimeout(r.Context(), eventHeartbeat)
		es, err := sub.Next(ctx)
		cancel()
		switch {
		case err == nil:
			err = send(es)
		case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
			err = send(struct{}{})
		case r.Context().Err() == nil:
			_ = send(map[string]string{"Error": err.Error()})
		}
		if err != nil {
			return
		}
	}
}

// eventAllowed says whether a may see an event of topic in namespace ns.
func eventAllowed(a *acl.ACL, topic, ns string) bool {
	if topic == stream.TopicNode {
		return a.AllowNodeRead()
	}
	return a.AllowNamespaceOperation(ns, acl.NamespaceCapabilityReadJob)
}

// anyTopicAllowed says whether a may read at least one requested topic
// (every topic when none is named) in namespace ns ("*": any namespace).
func anyTopicAllowed(a *acl.ACL, topics map[string][]string, ns string) bool {
	names := []string{stream.TopicJob, stream.TopicEvaluation, stream.TopicAllocation, stream.TopicNode}
	if len(topics) > 0 && topics[stream.TopicAll] == nil {
		names = names[:0]
		for t := range topics {
			names = append(names, t)
		}
	}
	for _, t := range names {
		switch {
		case t == stream.TopicNode && a.AllowNodeRead():
			return true
		case t != stream.TopicNode && ns == "*":
			return true // filtered event by event
		case t != stream.TopicNode && a.AllowNamespaceOperation(ns, acl.NamespaceCapabilityReadJob):
			return true
		}
	}
	return false
}

func clipParam(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
