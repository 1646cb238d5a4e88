package stream

import (
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// Topics, as Nomad names them.
const (
	TopicJob        = "Job"
	TopicEvaluation = "Evaluation"
	TopicAllocation = "Allocation"
	TopicNode       = "Node"
	TopicAll        = "*"
)

// quietTopics are Nomad topics a subscriber may name that nomadlike has no
// events for (no deployments, node pools or service registrations yet).
var quietTopics = map[string]bool{"Deployment": true, "NodePool": true, "Service": true}

// Event is one change, as Nomad's event stream sends it. Payload holds
// one object under its kind's name: {"Job": ...}, {"Allocation": ...}
// (without its Job), {"Evaluation": ...} or {"Node": ...} (without its
// SecretID).
type Event struct {
	Topic      string         `json:"Topic"`
	Type       string         `json:"Type"`
	Key        string         `json:"Key"`
	Namespace  string         `json:"Namespace"`
	FilterKeys []string       `json:"FilterKeys"`
	Index      uint64         `json:"Index"`
	Payload    map[string]any `json:"Payload"`
}

// Events are the events of one raft index: one line of the stream.
type Events struct {
	Index  uint64  `json:"Index"`
	Events []Event `json:"Events"`
}

// Filter selects events: by topic (and key), namespace and right to see.
type Filter struct {
	// Topics maps a topic (or "*") to keys; a key "*" or no key matches
	// every event of the topic, else an event matches when its Key or one
	// of its FilterKeys is listed. Empty: every topic.
	Topics map[string][]string
	// Namespace restricts namespaced topics to one namespace; "*" or ""
	// lets every namespace through.
	Namespace string
	// Allow, when set, says whether the subscriber may see ev (ACLs).
	Allow func(ev *Event) bool
}

// ParseTopics parses Nomad's topic parameters ("Job", "Job:*",
// "Allocation:web", "*"); an empty list means every topic.
func ParseTopics(params []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, p := range params {
		topic, key, _ := strings.Cut(p, ":")
		switch topic {
		case TopicJob, TopicEvaluation, TopicAllocation, TopicNode, TopicAll:
		default:
			if quietTopics[topic] {
				break
			}
			return nil, &TopicError{Param: p}
		}
		if key == "" {
			key = "*"
		}
		out[topic] = append(out[topic], key)
	}
	return out, nil
}

// TopicError is a topic parameter that names no topic nomadlike has.
type TopicError struct{ Param string }

func (e *TopicError) Error() string {
	return "topic " + quote(e.Param) + ": want Job, Evaluation, Allocation, Node, * (optionally :KEY), or Deployment, NodePool, Service (no events in nomadlike)"
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// Match reports whether f lets ev through.
func (f *Filter) Match(ev *Event) bool {
	if len(f.Topics) > 0 && !matchKeys(f.Topics[TopicAll], ev) && !matchKeys(f.Topics[ev.Topic], ev) {
		return false
	}
	if ev.Namespace != "" && f.Namespace != "" && f.Namespace != "*" && f.Namespace != ev.Namespace {
		return false
	}
	return f.Allow == nil || f.Allow(ev)
}

func matchKeys(keys []string, ev *Event) bool {
	for _, k := range keys {
		if k == "*" || k == ev.Key {
			return true
		}
		for _, fk := range ev.FilterKeys {
			if k == fk {
				return true
			}
		}
	}
	return false
}

// filtered returns the events of es that f lets through (nil when none).
func (f *Filter) filtered(es *Events) *Events {
	var out []Event
	for i := range es.Events {
		if f.Match(&es.Events[i]) {
			out = append(out, es.Events[i])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &Events{Index: es.Index, Events: out}
}

// NodePayload is a stored node, encoded without its SecretID. The buffer
// holds the store's own object; the copy without the secret is made when
// an event is encoded.
type NodePayload struct{ n *nomadlike.Node }

// Node is the stored node (SecretID included: never send it as it is).
func (p NodePayload) Node() *nomadlike.Node { return p.n }

// MarshalJSON encodes the node without its SecretID.
func (p NodePayload) MarshalJSON() ([]byte, error) {
	cp := *p.n
	cp.SecretID = ""
	return jsonx.Marshal(&cp)
}

// AllocPayload is a stored allocation, encoded without its Job (as Nomad
// sends it); like NodePayload it shares the store's object.
type AllocPayload struct{ a *nomadlike.Allocation }

// Allocation is the stored allocation.
func (p AllocPayload) Allocation() *nomadlike.Allocation { return p.a }

// MarshalJSON encodes the allocation without its Job.
func (p AllocPayload) MarshalJSON() ([]byte, error) {
	cp := *p.a
	cp.Job = nil
	return jsonx.Marshal(&cp)
}
