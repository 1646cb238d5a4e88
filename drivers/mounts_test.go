package drivers_test

import (
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

func TestCleanTaskPath(t *testing.T) {
	cases := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"absolute", "/srv/data", "/srv/data", false},
		{"relative from the root", "local/data", "/local/data", false},
		{"trailing slash", "/srv/data/", "/srv/data", false},
		{"dot dot", "/srv/../etc", "", true},
		{"dot dot relative", "../x", "", true},
		{"root", "/", "", true},
		{"dot", ".", "", true},
		{"empty", "", "", true},
		{"nul", "/a\x00b", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := drivers.CleanTaskPath(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("CleanTaskPath(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
