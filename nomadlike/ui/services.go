package ui

import (
	"errors"
	"net/http"
	"net/url"
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// maxServices is how many services the services page lists with their
// instances (each needs one read).
const maxServices = 50

// The services endpoints' shapes (Nomad's /v1/services and
// /v1/service/:name), decoded here rather than with the domain types so
// that the page works against any agent that serves them.
type serviceStubs struct {
	Namespace string `json:"Namespace"`
	Services  []struct {
		ServiceName string   `json:"ServiceName"`
		Tags        []string `json:"Tags"`
	} `json:"Services"`
}

type serviceInstance struct {
	ID, ServiceName, Namespace, NodeID, JobID, AllocID, Address string
	Port                                                        int
	Tags                                                        []string
	// Status is the aggregate of the instance's checks ("" when it has
	// none).
	Status string
}

type serviceRow struct {
	Name, Namespace string
	Tags            []string
	Instances       []serviceInstance
}

type servicesData struct {
	Unavailable bool
	Services    []serviceRow
	More        bool
}

// loadServices lists services with their instances and check status, or
// says the agent has no services endpoint (404).
func (h *Handler) loadServices(c *call, r *http.Request) (any, error) {
	d := &servicesData{}
	var stubs []serviceStubs
	_, err := c.query("/v1/services", &stubs, &api.QueryOptions{Namespace: "*"})
	var se *api.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		d.Unavailable = true
		return d, nil
	}
	if err != nil {
		return d, err
	}
	for _, ns := range stubs {
		for _, s := range ns.Services {
			if len(d.Services) == maxServices {
				d.More = true
				break
			}
			row := serviceRow{Name: s.ServiceName, Namespace: ns.Namespace, Tags: s.Tags}
			// Instances are best effort: the list already shows the name.
			_, _ = c.query("/v1/service/"+url.PathEscape(s.ServiceName), &row.Instances, &api.QueryOptions{Namespace: ns.Namespace})
			sort.Slice(row.Instances, func(i, j int) bool { return row.Instances[i].ID < row.Instances[j].ID })
			d.Services = append(d.Services, row)
		}
	}
	return d, nil
}

func watchServices(*http.Request) []string {
	return []string{"/v1/services?namespace=*"}
}
