package client

import (
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// handleAllocChecks answers GET /v1/client/allocation/:alloc/checks with
// the latest result of each of the allocation's checks by check ID, in
// Nomad's shape (api.AllocCheckStatuses); {} when it has none running.
func (c *Client) handleAllocChecks(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	out := c.checks.Results(ar.ID())
	if out == nil {
		out = map[string]api.AllocCheckStatus{}
	}
	writeJSON(w, out)
}
