package drivers_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

// The newest version in CHANGELOG.md is SDKVersion: a release bumps both.
func TestSDKVersionInChangelog(t *testing.T) {
	b, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("CHANGELOG.md has no \"## X.Y.Z\" heading")
	}
	if got := string(m[1]); got != drivers.SDKVersion {
		t.Errorf("CHANGELOG.md's newest version is %s, SDKVersion is %s", got, drivers.SDKVersion)
	}
}
