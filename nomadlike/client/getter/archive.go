package getter

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
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

// unpack expands the downloaded archive into a staging directory, then
// moves what it holds into the destination; on any error (a bad entry, a
// limit) the staging directory is removed and the destination is left as
// it was.
func (j *job) unpack(kind string) error {
	return j.staged(func(u *unpacker) error {
		if _, err := j.file.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if kind == "zip" {
			fi, err := j.file.Stat()
			if err != nil {
				return err
			}
			return u.zip(j.file, fi.Size())
		}
		var r io.Reader = j.file
		if kind == "tgz" {
			gz, err := gzip.NewReader(j.file)
			if err != nil {
				return fmt.Errorf("unpack archive: %w", err)
			}
			defer gz.Close()
			r = gz
		}
		return u.tar(r)
	})
}

// copyDir copies a local directory through the same staging and limits as
// an archive. Links and special files are not copied.
func (j *job) copyDir(src *os.Root) error {
	return j.staged(func(u *unpacker) error {
		return fs.WalkDir(src.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == "." {
				return nil
			}
			if strings.HasPrefix(d.Name(), stagePrefix) {
				// Our own staging, when the source holds the destination.
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			switch {
			case d.IsDir():
				return u.dir(p)
			case d.Type().IsRegular():
				ls, err := openLocalIn(src, p, !j.g.cfg.DisableFilesystemIsolation)
				if err != nil {
					return err
				}
				defer ls.Close()
				if ls.file == nil {
					return nil // replaced by a directory meanwhile
				}
				return u.file(p, ls.file, ls.mode)
			}
			return nil
		})
	})
}

// staged runs fill on an unpacker over a new staging directory in the
// destination and merges the result into the destination.
func (j *job) staged(fill func(*unpacker) error) (err error) {
	_, stage, err := createTemp(j.dest, ".d")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := j.dest.RemoveAll(stage); err == nil && rerr != nil {
			err = rerr
		}
	}()
	root, err := j.dest.OpenRoot(stage)
	if err != nil {
		return err
	}
	defer root.Close()
	u := &unpacker{root: root, cfg: j.g.cfg, regular: map[string]bool{}}
	if err := fill(u); err != nil {
		return err
	}
	return merge(j.dest, stage)
}

// merge moves everything below stage into the same place in dest:
// directories are created (or reused when present), files and links are
// renamed over whatever is there, so a link in dest is replaced, never
// written through.
func merge(dest *os.Root, stage string) error {
	return fs.WalkDir(dest.FS(), stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == stage {
			return nil
		}
		rel := strings.TrimPrefix(p, stage+"/")
		if !d.IsDir() {
			return dest.Rename(p, rel)
		}
		err = dest.Mkdir(rel, 0o755)
		if errors.Is(err, fs.ErrExist) {
			var fi fs.FileInfo
			if fi, err = dest.Stat(rel); err == nil && !fi.IsDir() {
				err = fmt.Errorf("%s exists and is not a directory", rel)
			}
		}
		if err != nil {
			return fmt.Errorf("artifact directory %s: %w", rel, err)
		}
		return nil
	})
}

// unpacker writes archive entries below root, enforcing the limits.
type unpacker struct {
	root    *os.Root
	cfg     Config
	entries int
	bytes   int64
	regular map[string]bool // regular files written, the only hard link targets
}

// entry checks an entry's name and counts it against
// decompression_file_count_limit. It returns the cleaned name, "" for the
// archive's top directory.
func (u *unpacker) entry(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("archive entry %q: absolute path: %w", name, ErrUnsafeArchive)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("archive entry %q: \"..\" in path: %w", name, ErrUnsafeArchive)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	u.entries++
	if max := u.cfg.DecompressionFileCountLimit; max > 0 && u.entries > max {
		return "", fmt.Errorf("exceeds decompression_file_count_limit of %d entries: %w", max, ErrLimitExceeded)
	}
	return clean, nil
}

func (u *unpacker) dir(name string) error {
	clean, err := u.entry(name)
	if err != nil || clean == "" {
		return err
	}
	delete(u.regular, clean)
	return u.root.MkdirAll(clean, 0o755)
}

// file writes r to a new file: an existing entry of that name (an earlier
// entry of the same archive) is removed first, not written through.
func (u *unpacker) file(name string, r io.Reader, mode fs.FileMode) error {
	clean, err := u.entry(name)
	if err != nil || clean == "" {
		return err
	}
	if err := u.makeParent(clean); err != nil {
		return err
	}
	f, err := u.root.OpenFile(clean, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	defer f.Close()
	src := r
	left := int64(-1)
	if max := u.cfg.DecompressionSizeLimit; max > 0 {
		left = max - u.bytes
		src = io.LimitReader(r, left+1)
	}
	n, err := io.Copy(f, src)
	u.bytes += n
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if left >= 0 && n > left {
		return fmt.Errorf("exceeds decompression_size_limit of %d bytes: %w", u.cfg.DecompressionSizeLimit, ErrLimitExceeded)
	}
	// Permission bits only: never setuid, setgid or sticky.
	if err := f.Chmod(mode.Perm()); err != nil {
		return err
	}
	u.regular[clean] = true
	return f.Close()
}

// symlink creates a link whose target, taken from the link's directory,
// stays inside the destination.
func (u *unpacker) symlink(name, target string) error {
	clean, err := u.entry(name)
	if err != nil || clean == "" {
		return err
	}
	if target == "" || strings.HasPrefix(target, "/") || !fs.ValidPath(path.Join(path.Dir(clean), target)) {
		return fmt.Errorf("archive entry %q: link to %q points outside the destination: %w", name, target, ErrUnsafeArchive)
	}
	if err := u.makeParent(clean); err != nil {
		return err
	}
	delete(u.regular, clean)
	return u.root.Symlink(target, clean)
}

// hardlink links name to a regular file written earlier from this archive.
func (u *unpacker) hardlink(name, target string) error {
	clean, err := u.entry(name)
	if err != nil || clean == "" {
		return err
	}
	t := path.Clean(target)
	if strings.HasPrefix(target, "/") || !fs.ValidPath(t) || !u.regular[t] {
		return fmt.Errorf("archive entry %q: hard link to %q is not a file of this archive: %w", name, target, ErrUnsafeArchive)
	}
	if err := u.makeParent(clean); err != nil {
		return err
	}
	return u.root.Link(t, clean)
}

// makeParent creates name's directory and removes whatever an earlier entry
// left at name.
func (u *unpacker) makeParent(name string) error {
	if err := u.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	if err := u.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	return nil
}

func (u *unpacker) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack archive: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = u.dir(h.Name)
		case tar.TypeReg:
			err = u.file(h.Name, tr, fs.FileMode(h.Mode))
		case tar.TypeSymlink:
			err = u.symlink(h.Name, h.Linkname)
		case tar.TypeLink:
			err = u.hardlink(h.Name, h.Linkname)
		case tar.TypeXGlobalHeader:
		default:
			err = fmt.Errorf("archive entry %q: type %q is not unpacked (only files, directories and links): %w", h.Name, h.Typeflag, ErrUnsafeArchive)
		}
		if err != nil {
			return err
		}
	}
}

// maxLinkTarget bounds a zip symlink's target, stored as its content.
const maxLinkTarget = 4096

func (u *unpacker) zip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("unpack archive: %w", err)
	}
	if max := u.cfg.DecompressionFileCountLimit; max > 0 && len(zr.File) > max {
		return fmt.Errorf("exceeds decompression_file_count_limit of %d entries: %w", max, ErrLimitExceeded)
	}
	for _, f := range zr.File {
		if err := u.zipEntry(f); err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) zipEntry(f *zip.File) error {
	mode := f.Mode()
	if mode.IsDir() {
		return u.dir(f.Name)
	}
	if mode.Type()&^fs.ModeSymlink != 0 {
		return fmt.Errorf("archive entry %q: type %v is not unpacked (only files, directories and links): %w", f.Name, mode.Type(), ErrUnsafeArchive)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", f.Name, err)
	}
	defer rc.Close()
	if mode&fs.ModeSymlink != 0 {
		target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget))
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", f.Name, err)
		}
		return u.symlink(f.Name, string(target))
	}
	return u.file(f.Name, rc, mode)
}
