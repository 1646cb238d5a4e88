package ui

import (
	"errors"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Deployments and services are being built as their own API endpoints
// (/v1/deployments, /v1/services). Their pages are in the nav already: each
// reads its endpoint and lists what comes back generically, or says "not
// available on this agent" when the endpoint answers 404. A page of its own
// replaces this one when the endpoint lands.

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
