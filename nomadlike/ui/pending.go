package ui

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Deployments are being built as their own API endpoint (/v1/deployments).
// The page is in the nav already: it reads the endpoint and lists Nomad's
// fields of what comes back, or says "not available on this agent" when
// the endpoint answers 404. A page of its own (with promote and fail
// buttons) replaces this one once the endpoint is on main.

// pendingData is a generic list page.
type pendingData struct {
	Endpoint    string
	Unavailable bool
	Rows        []map[string]any
	Columns     []string
}

func pendingPage(endpoint string, columns ...string) func(c *call, r *http.Request) (any, error) {
	return func(c *call, r *http.Request) (any, error) {
		d := &pendingData{Endpoint: endpoint, Columns: columns}
		_, err := c.query(endpoint, &d.Rows, &api.QueryOptions{Namespace: "*", Params: map[string]string{"per_page": "50"}})
		var se *api.StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusMethodNotAllowed) {
			d.Unavailable, d.Rows = true, nil
			return d, nil
		}
		return d, err
	}
}
