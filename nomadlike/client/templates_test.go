package client

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

func TestTemplateToken(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "stolen")
	if err := os.WriteFile(outside, []byte("host-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		plant func(secrets string) error
		want  string
	}{
		{name: "no identity: the node's SecretID", plant: func(string) error { return nil }, want: "node-secret"},
		{name: "workload identity", plant: func(s string) error {
			return os.WriteFile(filepath.Join(s, "nomad_token"), []byte("eyJ.jwt.sig\n"), 0o600)
		}, want: "eyJ.jwt.sig"},
		{name: "a link planted by the task is not followed", plant: func(s string) error {
			return os.Symlink(outside, filepath.Join(s, "nomad_token"))
		}, want: "node-secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ad := allocdir.New(t.TempDir(), "a1")
			if err := ad.Build(); err != nil {
				t.Fatal(err)
			}
			td, err := ad.BuildTask("web")
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.plant(td.SecretsDir); err != nil {
				t.Fatal(err)
			}
			c := &Client{node: &nomadlike.Node{SecretID: "node-secret"}}
			if got := c.templateToken(ad, &nomadlike.Allocation{ID: "a1"}, "web"); got != tc.want {
				t.Errorf("templateToken() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTemplateSourceFromServers(t *testing.T) {
	servers, err := api.NewClient(api.Config{Address: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{cfg: Config{Servers: servers}}
	if c.templateConfig().Source == nil {
		t.Errorf("an *api.Client can read template data, but no source was made")
	}
	c = &Client{cfg: Config{Servers: nil}}
	if c.templateConfig().Source != nil {
		t.Errorf("a source was made without servers that can read template data")
	}
}
