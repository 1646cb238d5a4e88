package agent

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
)

// fileArtifact is Nomad's client { artifact { } } block.
type fileArtifact struct {
	HTTPReadTimeout            *string   `hcl:"http_read_timeout,optional"`
	HTTPReadTimeoutRange       hcl.Range `hcl:"http_read_timeout,attr_range"`
	HTTPMaxSize                *string   `hcl:"http_max_size,optional"`
	HTTPMaxSizeRange           hcl.Range `hcl:"http_max_size,attr_range"`
	DecompressionSizeLimit     *string   `hcl:"decompression_size_limit,optional"`
	DecompressionSizeRange     hcl.Range `hcl:"decompression_size_limit,attr_range"`
	DecompressionFileCount     *int      `hcl:"decompression_file_count_limit,optional"`
	DecompressionFileCountRng  hcl.Range `hcl:"decompression_file_count_limit,attr_range"`
	DisableFilesystemIsolation *bool     `hcl:"disable_filesystem_isolation,optional"`

	// Nomad settings for sources or a sandbox process nomadlike does not
	// have: accepted so that Nomad configs load, and warned about.
	GCSTimeout              *string   `hcl:"gcs_timeout,optional"`
	GCSTimeoutRange         hcl.Range `hcl:"gcs_timeout,attr_range"`
	GitTimeout              *string   `hcl:"git_timeout,optional"`
	GitTimeoutRange         hcl.Range `hcl:"git_timeout,attr_range"`
	HgTimeout               *string   `hcl:"hg_timeout,optional"`
	HgTimeoutRange          hcl.Range `hcl:"hg_timeout,attr_range"`
	S3Timeout               *string   `hcl:"s3_timeout,optional"`
	S3TimeoutRange          hcl.Range `hcl:"s3_timeout,attr_range"`
	SetEnvironmentVariables *string   `hcl:"set_environment_variables,optional"`
	SetEnvironmentRange     hcl.Range `hcl:"set_environment_variables,attr_range"`
}

// applyArtifact sets dst.Artifact (starting from getter.DefaultConfig the
// first time a file has the block) from what f sets.
func applyArtifact(dst *ClientConfig, f *fileArtifact) hcl.Diagnostics {
	if dst.Artifact == nil {
		def := getter.DefaultConfig()
		dst.Artifact = &def
	}
	a := dst.Artifact
	var diags hcl.Diagnostics
	if f.HTTPReadTimeout != nil {
		d, err := time.ParseDuration(*f.HTTPReadTimeout)
		switch {
		case err != nil:
			diags = append(diags, diagAt(f.HTTPReadTimeoutRange, "Invalid client.artifact.http_read_timeout", fmt.Sprintf("%q is not a duration like \"30m\".", *f.HTTPReadTimeout)))
		case d < 0:
			diags = append(diags, diagAt(f.HTTPReadTimeoutRange, "Invalid client.artifact.http_read_timeout", "Must be >= 0 (0 means no timeout)."))
		default:
			a.HTTPReadTimeout = d
		}
	}
	diags = append(diags, setSize(&a.HTTPMaxSize, f.HTTPMaxSize, f.HTTPMaxSizeRange, "client.artifact.http_max_size")...)
	diags = append(diags, setSize(&a.DecompressionSizeLimit, f.DecompressionSizeLimit, f.DecompressionSizeRange, "client.artifact.decompression_size_limit")...)
	if n := f.DecompressionFileCount; n != nil {
		if *n < 0 {
			diags = append(diags, diagAt(f.DecompressionFileCountRng, "Invalid client.artifact.decompression_file_count_limit", fmt.Sprintf("Must be >= 0 (0 means no limit), got %d.", *n)))
		} else {
			a.DecompressionFileCountLimit = *n
		}
	}
	if f.DisableFilesystemIsolation != nil {
		a.DisableFilesystemIsolation = *f.DisableFilesystemIsolation
	}
	for _, ig := range []struct {
		set  bool
		rng  hcl.Range
		name string
		why  string
	}{
		{f.GCSTimeout != nil, f.GCSTimeoutRange, "gcs_timeout", "nomadlike fetches artifacts only over http(s) and from local paths"},
		{f.GitTimeout != nil, f.GitTimeoutRange, "git_timeout", "nomadlike fetches artifacts only over http(s) and from local paths"},
		{f.HgTimeout != nil, f.HgTimeoutRange, "hg_timeout", "nomadlike fetches artifacts only over http(s) and from local paths"},
		{f.S3Timeout != nil, f.S3TimeoutRange, "s3_timeout", "nomadlike fetches artifacts only over http(s) and from local paths"},
		{f.SetEnvironmentVariables != nil, f.SetEnvironmentRange, "set_environment_variables", "nomadlike fetches artifacts inside the agent, not in a sandbox process with its own environment"},
	} {
		if ig.set {
			dst.ArtifactWarnings = append(dst.ArtifactWarnings,
				fmt.Sprintf("%s:%d:%d: client.artifact.%s has no effect: %s", ig.rng.Filename, ig.rng.Start.Line, ig.rng.Start.Column, ig.name, ig.why))
		}
	}
	return diags
}

func setSize(dst *int64, src *string, rng hcl.Range, name string) hcl.Diagnostics {
	if src == nil {
		return nil
	}
	n, err := getter.ParseSize(*src)
	if err != nil {
		return hcl.Diagnostics{diagAt(rng, "Invalid "+name, err.Error()+" (0 means no limit).")}
	}
	*dst = n
	return nil
}
