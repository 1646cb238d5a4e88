package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// Operator is the /v1/operator part of the API.
type Operator struct{ c *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// RaftConfiguration returns the raft peer set as the leader sees it.
func (o *Operator) RaftConfiguration(ctx context.Context, q *QueryOptions) (*RaftConfiguration, error) {
	var out RaftConfiguration
	if _, err := o.c.Query(ctx, "/v1/operator/raft/configuration", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftRemovePeerByID removes the server with raft ID id from the raft
// configuration.
func (o *Operator) RaftRemovePeerByID(ctx context.Context, id string, q *QueryOptions) (*WriteMeta, error) {
	return o.c.Write(ctx, http.MethodDelete, "/v1/operator/raft/peer?id="+url.QueryEscape(id), nil, nil, q)
}

// RaftRemovePeerByAddress removes the server with raft address addr
// ("host:port") from the raft configuration.
func (o *Operator) RaftRemovePeerByAddress(ctx context.Context, addr string, q *QueryOptions) (*WriteMeta, error) {
	return o.c.Write(ctx, http.MethodDelete, "/v1/operator/raft/peer?address="+url.QueryEscape(addr), nil, nil, q)
}

// SnapshotSave streams a snapshot of the cluster state; the caller closes it.
func (o *Operator) SnapshotSave(ctx context.Context, q *QueryOptions) (io.ReadCloser, error) {
	resp, err := o.c.Do(ctx, http.MethodGet, "/v1/operator/snapshot", q, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// SnapshotRestore replaces the cluster state with the snapshot read from r.
func (o *Operator) SnapshotRestore(ctx context.Context, r io.Reader, q *QueryOptions) (*WriteMeta, error) {
	return o.c.Write(ctx, http.MethodPut, "/v1/operator/snapshot", r, nil, q)
}

// Search is the /v1/search part of the API.
type Search struct{ c *Client }

// Search returns the search endpoint.
func (c *Client) Search() *Search { return &Search{c: c} }

// PrefixSearch returns the IDs starting with prefix in context (SearchAll,
// SearchJobs, SearchEvals, SearchAllocs or SearchNodes).
func (s *Search) PrefixSearch(ctx context.Context, prefix, context string, q *QueryOptions) (*SearchResponse, *QueryMeta, error) {
	req := &SearchRequest{Prefix: prefix, Context: context}
	if q != nil {
		req.Namespace = q.Namespace
	}
	var out SearchResponse
	wm, err := s.c.Write(ctx, http.MethodPost, "/v1/search", req, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, &QueryMeta{LastIndex: wm.LastIndex, RequestTime: wm.RequestTime}, nil
}
