package agent

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
)

func TestClientArtifactConfig(t *testing.T) {
	def := getter.DefaultConfig()
	cases := []configCase[*getter.Config]{
		{name: "no block keeps defaults", src: `client { enabled = true }`, want: nil},
		{name: "empty block is the defaults", src: `client {
  artifact {}
}`, want: &def},
		{name: "every setting", src: `client {
  artifact {
    http_read_timeout              = "5m"
    http_max_size                  = "1GiB"
    decompression_size_limit       = "2GB"
    decompression_file_count_limit = 10
    disable_filesystem_isolation   = true
  }
}`, want: &getter.Config{HTTPReadTimeout: 5 * time.Minute, HTTPMaxSize: 1 << 30, DecompressionSizeLimit: 2e9,
			DecompressionFileCountLimit: 10, DisableFilesystemIsolation: true}},
		{name: "zero means no limit", src: `client {
  artifact {
    http_read_timeout              = "0"
    http_max_size                  = "0"
    decompression_size_limit       = "0"
    decompression_file_count_limit = 0
  }
}`, want: &getter.Config{}},
		{name: "unsupported getters warn", src: `client {
  artifact {
    git_timeout = "1m"
    set_environment_variables = "HTTP_PROXY"
  }
}`, want: &def, warnings: []string{"a.hcl:3:5: client.artifact.git_timeout has no effect", "a.hcl:4:5: client.artifact.set_environment_variables has no effect"}},
		{name: "bad size", src: `client {
  artifact {
    http_max_size = "lots"
  }
}`, errText: `a.hcl:3:5: Invalid client.artifact.http_max_size: "lots" is not a size`},
		{name: "negative count", src: `client {
  artifact {
    decompression_file_count_limit = -1
  }
}`, errText: "a.hcl:3:5: Invalid client.artifact.decompression_file_count_limit: Must be >= 0"},
		{name: "bad duration", src: `client {
  artifact {
    http_read_timeout = "soon"
  }
}`, errText: "a.hcl:3:5: Invalid client.artifact.http_read_timeout"},
		{name: "unknown setting", src: `client {
  artifact {
    filesystem_isolation_extra_paths = ["/opt"]
  }
}`, errText: "a.hcl:3:5: Unsupported argument"},
	}
	runConfigTable(t, configTable[*getter.Config]{
		field:    "Client.Artifact",
		get:      func(c *Config) *getter.Config { return c.Client.Artifact },
		warnings: func(c *Config) []string { return c.Client.ArtifactWarnings },
	}, cases)
}

// TestClientArtifactConfigMerge: a later file changes only what it sets.
func TestClientArtifactConfigMerge(t *testing.T) {
	cfg := DefaultConfig()
	if err := ParseConfigFile(cfg, "a.hcl", []byte(`client {
  artifact {
    http_max_size = "1MB"
  }
}`)); err != nil {
		t.Fatal(err)
	}
	if err := ParseConfigFile(cfg, "b.hcl", []byte(`client {
  artifact {
    disable_filesystem_isolation = true
  }
}`)); err != nil {
		t.Fatal(err)
	}
	a := cfg.Client.Artifact
	if a == nil || a.HTTPMaxSize != 1e6 || !a.DisableFilesystemIsolation || a.DecompressionFileCountLimit != 4096 {
		t.Errorf("merged artifact config = %+v, want http_max_size 1MB, isolation off, other defaults", a)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "100GB", want: 100e9}, {in: "1GiB", want: 1 << 30}, {in: "512mib", want: 512 << 20},
		{in: "4096", want: 4096}, {in: "1.5KB", want: 1500}, {in: "0", want: 0},
		{in: "", bad: true}, {in: "-1GB", bad: true}, {in: "1XB", bad: true}, {in: "GB", bad: true},
	}
	for _, tc := range cases {
		got, err := getter.ParseSize(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
