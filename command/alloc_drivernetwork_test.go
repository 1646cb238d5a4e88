package command

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestDriverNetworkText(t *testing.T) {
	cases := []struct {
		name string
		in   *nomadlike.DriverNetwork
		want string
	}{
		{"ip only", &nomadlike.DriverNetwork{IP: "10.0.0.2"}, "10.0.0.2"},
		{"ports sorted", &nomadlike.DriverNetwork{IP: "10.0.0.2", PortMap: map[string]int{"metrics": 9090, "http": 8080}}, "10.0.0.2 (http: 8080, metrics: 9090)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := driverNetworkText(tc.in); got != tc.want {
				t.Errorf("driverNetworkText(%+v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
