package ociimage

import (
	"archive/tar"
	"bytes"
	_ "crypto/sha256" // registers sha256 for go-digest
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultBusybox is where Debian's busybox-static installs its binary.
const DefaultBusybox = "/bin/busybox"

// AnnotationImageName is the index annotation containerd reads the image
// name from when it imports an archive.
const AnnotationImageName = "io.containerd.image.name"

// Format is the layout of the archive BuildBusybox writes.
type Format int

const (
	// FormatOCI is an OCI image layout whose index names the image with
	// both io.containerd.image.name and org.opencontainers.image.ref.name
	// (as `ctr image export` writes it).
	FormatOCI Format = iota
	// FormatOCIRefName is an OCI image layout whose index names the image
	// only with org.opencontainers.image.ref.name (as skopeo and buildah
	// write a full reference there).
	FormatOCIRefName
	// FormatDockerSave is the `docker save` form: a manifest.json listing
	// the image's RepoTags, its config and its layers, and no OCI layout.
	FormatDockerSave
)

// Options describe the image to build.
type Options struct {
	// Ref is the image name, e.g. "docker.io/library/busybox:latest".
	Ref string
	// Busybox is the path of a statically linked busybox; DefaultBusybox when empty.
	Busybox string
	// Arch is the GOARCH-style architecture recorded in the config ("amd64").
	Arch string
	// Cmd is the image's default command; ["sh"] when empty.
	Cmd []string
	// Format is the archive layout; FormatOCI when zero. Ref is written as
	// it is given (a familiar "bars/busybox:1" stays familiar), as the
	// tools that write each form do.
	Format Format
}

// fixedTime keeps archives reproducible: the same inputs give the same digests.
var fixedTime = time.Unix(0, 0).UTC()

// BuildBusybox writes an OCI image-layout tar archive to w.
func BuildBusybox(w io.Writer, opts Options) error {
	if opts.Ref == "" {
		return fmt.Errorf("build image: Ref is required")
	}
	if opts.Busybox == "" {
		opts.Busybox = DefaultBusybox
	}
	if opts.Arch == "" {
		opts.Arch = "amd64"
	}
	if len(opts.Cmd) == 0 {
		opts.Cmd = []string{"sh"}
	}
	bin, err := os.ReadFile(opts.Busybox)
	if err != nil {
		return fmt.Errorf("build image: read busybox (install busybox-static): %w", err)
	}
	applets, err := listApplets(opts.Busybox)
	if err != nil {
		return err
	}
	layer, err := rootfsLayer(bin, applets)
	if err != nil {
		return err
	}
	layerDigest := digest.FromBytes(layer)

	config := ocispec.Image{
		Platform: ocispec.Platform{Architecture: opts.Arch, OS: "linux"},
		Config: ocispec.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: opts.Cmd,
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDigest}},
		Created: &fixedTime,
	}
	configBlob, err := json.Marshal(config)
	if err != nil {
		return err
	}
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{
			MediaType: ocispec.MediaTypeImageConfig,
			Digest:    digest.FromBytes(configBlob),
			Size:      int64(len(configBlob)),
		},
		Layers: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageLayer,
			Digest:    layerDigest,
			Size:      int64(len(layer)),
		}},
	}
	manifestBlob, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	index := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType:   ocispec.MediaTypeImageManifest,
			Digest:      digest.FromBytes(manifestBlob),
			Size:        int64(len(manifestBlob)),
			Platform:    &ocispec.Platform{Architecture: opts.Arch, OS: "linux"},
			Annotations: indexAnnotations(opts),
		}},
	}
	indexBlob, err := json.Marshal(index)
	if err != nil {
		return err
	}
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})

	files := []archiveFile{
		{ocispec.ImageLayoutFile, layout},
		{"index.json", indexBlob},
		{blobPath(digest.FromBytes(configBlob)), configBlob},
		{blobPath(layerDigest), layer},
		{blobPath(digest.FromBytes(manifestBlob)), manifestBlob},
	}
	if opts.Format == FormatDockerSave {
		files, err = dockerSaveFiles(opts.Ref, configBlob, layer)
		if err != nil {
			return err
		}
	}
	return writeArchive(w, files)
}

type archiveFile struct {
	name string
	data []byte
}

// indexAnnotations names the image in the OCI index as opts.Format says.
func indexAnnotations(opts Options) map[string]string {
	if opts.Format == FormatOCIRefName {
		return map[string]string{ocispec.AnnotationRefName: opts.Ref}
	}
	return map[string]string{
		AnnotationImageName:       opts.Ref,
		ocispec.AnnotationRefName: refTag(opts.Ref),
	}
}

// dockerSaveFiles lays the image out as `docker save` does: manifest.json
// names the config and layer files and tags the image with ref.
func dockerSaveFiles(ref string, configBlob, layer []byte) ([]archiveFile, error) {
	configPath := blobPath(digest.FromBytes(configBlob))
	layerPath := blobPath(digest.FromBytes(layer))
	manifest, err := json.Marshal([]struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{Config: configPath, RepoTags: []string{ref}, Layers: []string{layerPath}}})
	if err != nil {
		return nil, err
	}
	return []archiveFile{
		{"manifest.json", manifest},
		{configPath, configBlob},
		{layerPath, layer},
	}, nil
}

// writeArchive writes files, after the blob directories, as a tar to w.
func writeArchive(w io.Writer, files []archiveFile) error {
	tw := tar.NewWriter(w)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: fixedTime}); err != nil {
			return err
		}
	}
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: fixedTime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

func refTag(ref string) string {
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[i+1:]
	}
	return "latest"
}

// listApplets asks busybox which applets it has.
func listApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("build image: %s --list: %w", busybox, err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			applets = append(applets, a)
		}
	}
	sort.Strings(applets)
	return applets, nil
}

// rootfsLayer returns an uncompressed tar of a minimal root filesystem.
func rootfsLayer(busybox []byte, applets []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: fixedTime})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: fixedTime}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "tmp", "root", "home", "var", "usr", "usr/bin", "sbin"} {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := dir(d, mode); err != nil {
			return nil, err
		}
	}
	if err := file("bin/busybox", 0o755, busybox); err != nil {
		return nil, err
	}
	for _, a := range applets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: fixedTime}); err != nil {
			return nil, err
		}
	}
	etc := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
		"etc/hosts":  "127.0.0.1 localhost\n",
	}
	for _, name := range []string{"etc/group", "etc/hosts", "etc/passwd"} {
		if err := file(name, 0o644, []byte(etc[name])); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
