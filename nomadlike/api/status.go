package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Status is the /v1/status part of the API.
type Status struct{ c *Client }

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{c: c} }

// Leader returns the RPC address of the cluster leader ("" when none).
func (s *Status) Leader(ctx context.Context) (string, error) {
	var out string
	if _, err := s.c.Query(ctx, "/v1/status/leader", &out, nil); err != nil {
		return "", err
	}
	return out, nil
}

// Peers returns the RPC addresses of the raft peers.
func (s *Status) Peers(ctx context.Context) ([]string, error) {
	var out []string
	if _, err := s.c.Query(ctx, "/v1/status/peers", &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Agent is the /v1/agent part of the API.
type Agent struct{ c *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// Self returns the agent's configuration, member record and stats.
func (a *Agent) Self(ctx context.Context) (*AgentSelf, error) {
	var out AgentSelf
	if _, err := a.c.Query(ctx, "/v1/agent/self", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Members lists the cluster's servers.
func (a *Agent) Members(ctx context.Context) (*ServerMembers, error) {
	var out ServerMembers
	if _, err := a.c.Query(ctx, "/v1/agent/members", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Health reports whether the agent's server and client halves are healthy.
// An unhealthy agent answers 500 with the same body; Health returns the body
// and the *StatusError then.
func (a *Agent) Health(ctx context.Context) (*AgentHealthResponse, error) {
	var out AgentHealthResponse
	resp, err := a.c.Do(ctx, http.MethodGet, "/v1/agent/health", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode /v1/agent/health: %w", err)
	}
	return &out, nil
}
