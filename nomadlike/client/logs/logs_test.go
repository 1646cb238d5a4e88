package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

func write(t *testing.T, dir, name, s string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

func collect(t *testing.T, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Stream(context.Background(), opts, func(c Chunk) error { b.Write(c.Data); return nil }); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestStreamRotated(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.stdout.0", "aaaa")
	write(t, dir, "web.stdout.1", "bbbb")
	write(t, dir, "web.stdout.2", "cc")
	write(t, dir, "web.stderr.0", "err")
	write(t, dir, "other.stdout.0", "zzz")
	cases := []struct {
		name   string
		typ    string
		origin string
		offset int64
		want   string
	}{
		{"all", "stdout", "", 0, "aaaabbbbcc"},
		{"offset from start across files", "stdout", OriginStart, 5, "bbbcc"},
		{"tail", "stdout", OriginEnd, 3, "bcc"},
		{"tail larger than all", "stdout", OriginEnd, 100, "aaaabbbbcc"},
		{"offset past the end", "stdout", OriginStart, 100, ""},
		{"stderr", "stderr", "", 0, "err"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, Options{Dir: dir, Task: "web", Type: tc.typ, Origin: tc.origin, Offset: tc.offset})
			if got != tc.want {
				t.Errorf("Stream() = %q, want %q", got, tc.want)
			}
		})
	}
	if err := Stream(context.Background(), Options{Dir: dir, Task: "web", Type: "bogus"}, nil); !errors.Is(err, ErrBadType) {
		t.Errorf("bad type error = %v, want ErrBadType", err)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) add(p []byte) { s.mu.Lock(); s.b.Write(p); s.mu.Unlock() }
func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStreamFollow(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.stdout.0", "one\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got syncBuf
	errCh := make(chan error, 1)
	go func() {
		errCh <- Stream(ctx, Options{Dir: dir, Task: "web", Type: "stdout", Follow: true, PollInterval: 5 * time.Millisecond},
			func(c Chunk) error { got.add(c.Data); return nil })
	}()
	waitFor := func(want string) {
		t.Helper()
		poll.Until(t, 5*time.Second, fmt.Sprintf("%q followed", want), func() (bool, string) {
			g := got.String()
			return g == want, fmt.Sprintf("followed %q", g)
		})
	}
	waitFor("one\n")
	write(t, dir, "web.stdout.0", "two\n")
	waitFor("one\ntwo\n")
	// Rotation: the old file gets a last line and a new file appears.
	write(t, dir, "web.stdout.0", "three\n")
	write(t, dir, "web.stdout.1", "four\n")
	waitFor("one\ntwo\nthree\nfour\n")
	for i := 2; i < 5; i++ {
		write(t, dir, fmt.Sprintf("web.stdout.%d", i), fmt.Sprintf("n%d\n", i))
	}
	waitFor("one\ntwo\nthree\nfour\nn2\nn3\nn4\n")
	cancel()
	select {
	case err := <-errCh:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Stream() = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end after cancel")
	}
	if strings.Count(got.String(), "three") != 1 {
		t.Errorf("duplicated data: %q", got.String())
	}
}

func TestStreamFollowDone(t *testing.T) {
	dir := t.TempDir()
	done := make(chan struct{})
	write(t, dir, "web.stdout.0", "a")
	close(done)
	write(t, dir, "web.stdout.0", "b")
	got := collect(t, Options{Dir: dir, Task: "web", Type: "stdout", Follow: true, DoneCh: done, PollInterval: time.Millisecond})
	if got != "ab" {
		t.Errorf("Stream() = %q, want %q", got, "ab")
	}
}

// TestStreamRefusesPlantedFiles: files a task planted in the log directory
// are never read through: a link is left out of the listing, and a file
// with a second hard link, or of another user, or a linked log directory,
// stops the stream with ErrRefusedFile. The victim's content never comes
// out.
func TestStreamRefusesPlantedFiles(t *testing.T) {
	const secret = "root-only secret"
	cases := []struct {
		name  string
		plant func(t *testing.T, dir, victim string) string // returns the Dir to stream
		want  string                                        // streamed stdout
		err   error
	}{
		{
			name: "symbolic link as the first file",
			plant: func(t *testing.T, dir, victim string) string {
				must(t, os.Symlink(victim, filepath.Join(dir, "web.stdout.0")))
				write(t, dir, "web.stdout.1", "real")
				return dir
			},
			want: "real",
		},
		{
			name: "symbolic link as the only file",
			plant: func(t *testing.T, dir, victim string) string {
				must(t, os.Symlink(victim, filepath.Join(dir, "web.stdout.0")))
				return dir
			},
		},
		{
			name: "hard link",
			plant: func(t *testing.T, dir, victim string) string {
				must(t, os.Link(victim, filepath.Join(dir, "web.stdout.0")))
				return dir
			},
			err: ErrRefusedFile,
		},
		{
			name: "someone else's file",
			plant: func(t *testing.T, dir, victim string) string {
				if os.Geteuid() != 0 {
					t.Skip("chown needs root")
				}
				write(t, dir, "web.stdout.0", "planted")
				must(t, os.Chown(filepath.Join(dir, "web.stdout.0"), 65534, 65534))
				return dir
			},
			err: ErrRefusedFile,
		},
		{
			name: "linked log directory",
			plant: func(t *testing.T, dir, victim string) string {
				link := filepath.Join(t.TempDir(), "logs")
				must(t, os.Symlink(filepath.Dir(victim), link))
				return link
			},
			err: ErrRefusedFile,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "web.stdout.0")
			must(t, os.WriteFile(victim, []byte(secret), 0o600))
			streamDir := tc.plant(t, dir, victim)
			var got bytes.Buffer
			err := Stream(context.Background(), Options{Dir: streamDir, Task: "web", Type: "stdout"}, func(c Chunk) error {
				got.Write(c.Data)
				return nil
			})
			if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
				t.Fatalf("Stream() error = %v, want %v", err, tc.err)
			}
			if strings.Contains(got.String(), secret) || got.String() != tc.want {
				t.Errorf("Stream() = %q, want %q", got.String(), tc.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
