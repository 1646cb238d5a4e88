package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// NodeHostVolumes returns the dynamic host volumes placed on the node
// (GET /v1/client/host-volumes/:node_id, authenticated by the node's
// SecretID); with q.WaitIndex it blocks until they change.
func (c *Client) NodeHostVolumes(ctx context.Context, nodeID, secretID string, q *QueryOptions) ([]*nomadlike.HostVolume, *QueryMeta, error) {
	opts := QueryOptions{}
	if q != nil {
		opts = *q
	}
	opts.AuthToken = secretID
	var out []*nomadlike.HostVolume
	qm, err := c.Query(ctx, "/v1/client/host-volumes/"+nodeID, &out, &opts)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// UpdateHostVolume reports what the node did with one of its volumes
// (ID, State ready with HostPath and CapacityBytes, or deleted).
func (c *Client) UpdateHostVolume(ctx context.Context, secretID string, v *nomadlike.HostVolume) error {
	_, err := c.Write(ctx, http.MethodPut, "/v1/client/host-volume/update", map[string]any{"Volume": v}, nil, nodeAuth(secretID))
	return err
}

// CreateHostVolume creates a dynamic host volume (PUT
// /v1/volume/host/create) and returns it as recorded (pending).
func (c *Client) CreateHostVolume(ctx context.Context, v *nomadlike.HostVolume, q *QueryOptions) (*nomadlike.HostVolume, error) {
	var out struct {
		Volume   *nomadlike.HostVolume `json:"Volume"`
		Warnings string                `json:"Warnings"`
	}
	if _, err := c.Write(ctx, http.MethodPut, "/v1/volume/host/create", map[string]any{"Volume": v}, &out, q); err != nil {
		return nil, err
	}
	return out.Volume, nil
}

// HostVolume reads a dynamic host volume by ID (or unique prefix), with
// the allocations that claim it.
func (c *Client) HostVolume(ctx context.Context, id string, q *QueryOptions) (*nomadlike.HostVolume, *QueryMeta, error) {
	var out nomadlike.HostVolume
	qm, err := c.Query(ctx, "/v1/volume/host/"+url.PathEscape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// HostVolumes lists the dynamic host volumes (GET /v1/volumes?type=host).
func (c *Client) HostVolumes(ctx context.Context, q *QueryOptions) ([]*nomadlike.HostVolumeStub, *QueryMeta, error) {
	var out []*nomadlike.HostVolumeStub
	qm, err := c.Query(ctx, "/v1/volumes?type=host", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// DeleteHostVolume deletes a dynamic host volume (refused while
// allocations claim it).
func (c *Client) DeleteHostVolume(ctx context.Context, id string, q *QueryOptions) error {
	_, err := c.Write(ctx, http.MethodDelete, "/v1/volume/host/"+url.PathEscape(id), nil, nil, q)
	return err
}
