package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Event is one event of /v1/event/stream. Payload holds the object under
// its kind's name ("Job", "Evaluation", "Allocation", "Node"), as JSON.
type Event struct {
	Topic      string                     `json:"Topic"`
	Type       string                     `json:"Type"`
	Key        string                     `json:"Key"`
	Namespace  string                     `json:"Namespace"`
	FilterKeys []string                   `json:"FilterKeys"`
	Index      uint64                     `json:"Index"`
	Payload    map[string]json.RawMessage `json:"Payload"`
}

// Events are the events of one raft index. Error is set on the last line
// of a stream the server ended (a subscriber that fell behind).
type Events struct {
	Index  uint64  `json:"Index"`
	Events []Event `json:"Events"`
	Error  string  `json:"Error,omitempty"`
}

// EventStream follows /v1/event/stream: topics as Nomad's ("Job:*",
// "Allocation:web", "*"; none: all), from after raft index index (0: from
// now). fn sees each batch (heartbeats are skipped) until ctx ends, fn
// fails or the server ends the stream (an error naming why).
func (c *Client) EventStream(ctx context.Context, topics []string, index uint64, q *QueryOptions, fn func(*Events) error) error {
	qo := QueryOptions{}
	if q != nil {
		qo = *q
	}
	params := map[string]string{"index": strconv.FormatUint(index, 10)}
	for k, v := range qo.Params {
		params[k] = v
	}
	qo.Params = params
	path := "/v1/event/stream"
	for i, t := range topics {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		path += sep + "topic=" + url.QueryEscape(t)
	}
	resp, err := c.Do(ctx, http.MethodGet, path, &qo, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var es Events
		if err := dec.Decode(&es); err != nil {
			if errors.Is(err, io.EOF) && ctx.Err() == nil {
				return fmt.Errorf("event stream ended")
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("decode events: %w", err)
		}
		if es.Error != "" {
			return fmt.Errorf("event stream: %s", es.Error)
		}
		if es.Index == 0 && len(es.Events) == 0 {
			continue // heartbeat
		}
		if err := fn(&es); err != nil {
			return err
		}
	}
}

// Monitor streams the agent's log lines at level ("trace" ... "error";
// "" is info), as JSON lines with asJSON, calling fn for each chunk until
// ctx ends or fn fails.
func (c *Client) Monitor(ctx context.Context, level string, asJSON bool, fn func([]byte) error) error {
	params := map[string]string{"log_json": strconv.FormatBool(asJSON)}
	if level != "" {
		params["log_level"] = level
	}
	resp, err := c.Do(ctx, http.MethodGet, "/v1/agent/monitor", &QueryOptions{Params: params}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readFrames(ctx, resp.Body, "monitor", func(fr *StreamFrame) error { return fn(fr.Data) })
}
