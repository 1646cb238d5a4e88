package containerd

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

func TestImageMatches(t *testing.T) {
	d1 := digest.Digest("sha256:" + strings.Repeat("1", 64))
	d2 := digest.Digest("sha256:" + strings.Repeat("2", 64))
	cases := []struct {
		want, stored string
		target       digest.Digest
		match        bool
	}{
		{"bars/busybox:1", "bars/busybox:1", d1, true},
		{"bars/busybox:1", "docker.io/bars/busybox:1", d1, true},
		{"docker.io/bars/busybox:1", "bars/busybox:1", d1, true},
		{"busybox", "busybox", d1, true},
		{"busybox", "docker.io/library/busybox:latest", d1, true},
		{"docker.io/library/busybox:latest", "library/busybox", d1, true},
		{"busybox:1", "busybox", d1, false},
		{"bars/busybox:1", "bars/busybox:2", d1, false},
		{"bars/busybox:1", "foo/busybox:1", d1, false},
		{"bars/busybox:1", "quay.io/bars/busybox:1", d1, false},
		{"bars/busybox@" + d1.String(), "bars/busybox:1", d1, true},
		{"bars/busybox:other@" + d1.String(), "docker.io/bars/busybox:1", d1, true},
		{"bars/busybox@" + d1.String(), "bars/busybox:1", d2, false},
		{"bars/busybox@" + d1.String(), "foo/busybox:1", d1, false},
		{"bars/busybox:1", "1", d1, false}, // a bare ref.name tag names no repository
		{"bars/busybox:1", "Not A Reference", d1, false},
	}
	for _, tc := range cases {
		want, err := reference.ParseDockerRef(tc.want)
		if err != nil {
			t.Fatalf("ParseDockerRef(%q): %v", tc.want, err)
		}
		if got := imageMatches(want, tc.stored, tc.target); got != tc.match {
			t.Errorf("imageMatches(%s, %q, %s) = %v, want %v", want, tc.stored, tc.target.Encoded()[:4], got, tc.match)
		}
	}
}
