package getter

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

func archiveKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"):
		return "tgz"
	case strings.HasSuffix(n, ".tar"):
		return "tar"
	case strings.HasSuffix(n, ".zip"):
		return "zip"
	}
	return ""
}

// extract unpacks the archive file into dest. Every entry must land inside
// the allocation directory; links are refused because they could point out.
func extract(ad *allocdir.AllocDir, kind, file, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	if kind == "zip" {
		return extractZip(ad, file, dest)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if kind == "tgz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("unpack archive: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack archive: %w", err)
		}
		target, err := ad.Resolve(dest, h.Name)
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", h.Name, err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(target, tr, os.FileMode(h.Mode).Perm()); err != nil {
				return err
			}
		case tar.TypeSymlink, tar.TypeLink:
			return fmt.Errorf("archive entry %q is a link: links in artifacts are not supported", h.Name)
		}
	}
}

func extractZip(ad *allocdir.AllocDir, file, dest string) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("unpack archive: %w", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		target, err := ad.Resolve(dest, f.Name)
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", f.Name, err)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case mode&os.ModeSymlink != 0:
			return fmt.Errorf("archive entry %q is a link: links in artifacts are not supported", f.Name)
		default:
			rc, err := f.Open()
			if err != nil {
				return err
			}
			err = writeFile(target, rc, mode.Perm())
			rc.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}
