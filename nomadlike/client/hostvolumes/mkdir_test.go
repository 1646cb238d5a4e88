package hostvolumes

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
)

const testID = "0f8fad5b-d9cb-469f-a165-70867728950e"

// TestMkdirCreate: the directory gets the mode and owner of the
// parameters (the umask does not narrow it), host_volumes_dir is made
// 0711, and a second create (a retry) reuses it.
func TestMkdirCreate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		params   map[string]string
		mode     os.FileMode
		uid, gid int
	}{
		{"defaults", nil, 0o755, os.Getuid(), os.Getgid()},
		{"mode", map[string]string{"mode": "0777"}, 0o777, os.Getuid(), os.Getgid()},
		{"owner", map[string]string{"mode": "0700", "uid": "65534", "gid": "65534"}, 0o700, 65534, 65534},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.uid != os.Getuid() && os.Getuid() != 0 {
				t.Skip("chown needs root")
			}
			dir := filepath.Join(t.TempDir(), "hv")
			m := Mkdir{Dir: dir}
			v := &nomadlike.HostVolume{ID: testID, Parameters: tc.params, RequestedCapacityMinBytes: 1, RequestedCapacityMaxBytes: 4096}
			for range 2 {
				made, err := m.Create(v)
				if err != nil {
					t.Fatal(err)
				}
				if made.HostPath != filepath.Join(dir, testID) || made.CapacityBytes != 4096 {
					t.Fatalf("created = %+v", made)
				}
			}
			fi, err := os.Lstat(filepath.Join(dir, testID))
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != tc.mode {
				t.Fatalf("volume dir = %v, %v; want mode %v", fi, err, tc.mode)
			}
			if uid, gid := owner(fi); uid != tc.uid || gid != tc.gid {
				t.Errorf("owner = %d:%d, want %d:%d", uid, gid, tc.uid, tc.gid)
			}
			if base, _ := os.Stat(dir); base.Mode().Perm() != 0o711 {
				t.Errorf("host_volumes_dir mode = %v, want 0711", base.Mode().Perm())
			}
		})
	}
}

// TestMkdirRefuses: an ID that is not a UUID (it would name another path),
// a symbolic link planted where the volume goes (its target keeps its mode
// and owner), and a capacity_min beyond the free space.
func TestMkdirRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hv")
	m := Mkdir{Dir: dir}
	for _, id := range []string{"../etc", "", "0F8FAD5B-D9CB-469F-A165-70867728950E", testID + "/x"} {
		if _, err := m.Create(&nomadlike.HostVolume{ID: id}); !errors.Is(err, ErrBadID) {
			t.Errorf("Create(%q) = %v, want ErrBadID", id, err)
		}
		if err := m.Delete(id); !errors.Is(err, ErrBadID) {
			t.Errorf("Delete(%q) = %v, want ErrBadID", id, err)
		}
	}
	target := t.TempDir()
	must(t, os.Chmod(target, 0o700))
	must(t, os.MkdirAll(dir, 0o711))
	must(t, os.Symlink(target, filepath.Join(dir, testID)))
	if _, err := m.Create(&nomadlike.HostVolume{ID: testID, Parameters: map[string]string{"mode": "0777"}}); !errors.Is(err, beneath.ErrLink) {
		t.Errorf("Create over a symlink = %v, want ErrLink", err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o700 {
		t.Errorf("symlink target mode = %v, want 0700 untouched", fi.Mode().Perm())
	}
	must(t, os.Remove(filepath.Join(dir, testID)))
	if _, err := m.Create(&nomadlike.HostVolume{ID: testID, RequestedCapacityMinBytes: 1 << 62}); !errors.Is(err, ErrNoSpace) {
		t.Errorf("Create(capacity_min 4EiB) = %v, want ErrNoSpace", err)
	}
}

// TestMkdirDelete: the volume's directory goes with what a task left in
// it; a symbolic link the task planted towards a host directory is
// removed, not followed. A missing volume is not an error.
func TestMkdirDelete(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hv")
	m := Mkdir{Dir: dir}
	made, err := m.Create(&nomadlike.HostVolume{ID: testID})
	must(t, err)
	host := t.TempDir()
	must(t, os.WriteFile(filepath.Join(host, "keep"), []byte("x"), 0o600))
	must(t, os.Symlink(host, filepath.Join(made.HostPath, "escape")))
	must(t, os.MkdirAll(filepath.Join(made.HostPath, "a", "b"), 0o755))
	must(t, os.WriteFile(filepath.Join(made.HostPath, "a", "b", "f"), []byte("x"), 0o600))
	must(t, m.Delete(testID))
	if _, err := os.Lstat(made.HostPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("volume dir after delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(host, "keep")); err != nil {
		t.Errorf("the symlink's target lost its file: %v", err)
	}
	must(t, m.Delete(testID))
	must(t, Mkdir{Dir: filepath.Join(dir, "missing")}.Delete(testID))
}

// TestStoreRoundTrip: Save then Load gives the volumes back; entries
// without an ID or with a relative path are dropped; no file is none.
func TestStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host_volumes.json")
	got, err := Load(path)
	if err != nil || len(got) != 0 {
		t.Fatalf("Load(missing) = %v, %v", got, err)
	}
	in := map[string]*nomadlike.ClientHostVolumeConfig{
		"a":   {Name: "a", Path: "/srv/a", ID: testID},
		"rel": {Name: "rel", Path: "srv", ID: testID},
		"nid": {Name: "nid", Path: "/srv/nid"},
	}
	must(t, Save(path, in))
	got, err = Load(path)
	if err != nil || len(got) != 1 || *got["a"] != *in["a"] {
		t.Fatalf("Load = %v, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
