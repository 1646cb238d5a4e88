package ui

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The deployments page is a generic list of /v1/deployments with Nomad's
// fields (no promote or fail buttons yet: use the CLI). It says "not
// available on this agent" when an agent answers 404 (an older server).

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
