package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// fsAttackScript is the task of TestClientFSSymlinkAttack, run as nobody
// with `sh -c script sh VICTIM`: it writes a file of its own, then plants
// in its local directory links to the victim, to /etc/shadow, to / and to
// its secrets directory, tries a hard link to the victim and makes a FIFO,
// records what worked in /alloc/data/attack and waits.
const fsAttackScript = `echo hello-from-task > /local/hello.txt
echo secret-of-the-task > /secrets/token 2>/dev/null
cd /local || exit 3
ln -s "$1" victim && echo link victim >> /alloc/data/attack
ln -s /etc/shadow shadow && echo link shadow >> /alloc/data/attack
ln -s / root && echo link root >> /alloc/data/attack
ln -s ../secrets sec && echo link sec >> /alloc/data/attack
if ln "$1" hard 2>/dev/null; then echo planted-hard; else echo denied-hard; fi >> /alloc/data/attack
mkfifo fifo && echo fifo >> /alloc/data/attack
echo ready >> /alloc/data/attack
sleep 300`

// TestClientFSSymlinkAttack: an exec task running as nobody plants links
// in its own directory to files it cannot read (a root-only 0600 victim,
// /etc/shadow, the whole host through a link to /) and tries to read them
// through the fs API of a real agent, which runs as root: every read (cat,
// readat, stream, ls through a link) must be refused, ls and stat must show
// the links as links, the secrets directory and ".." must be refused, and
// a FIFO must not hang a read. The task's own file reads back.
func TestClientFSSymlinkAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")

	victim := filepath.Join(t.TempDir(), "victim")
	const secret = "FS-VICTIM-SECRET-5d1e0a"
	if err := os.WriteFile(victim, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shadow, _ := os.ReadFile("/etc/shadow")
	a.mustCLI(ctx, "job", "run", a.writeJob("fsattack", fsAttackJob("fsattack", victim)))
	alloc := a.waitOneAlloc(ctx, "fsattack", nomadlike.AllocClientStatusRunning)
	allocDir := filepath.Join(a.dataDir, "alloc", alloc.ID)
	waitFileContains(ctx, t, filepath.Join(allocDir, "alloc", "data", "attack"), "ready")
	record, _ := os.ReadFile(filepath.Join(allocDir, "alloc", "data", "attack"))
	t.Logf("task record:\n%s", record)
	if !strings.Contains(string(record), "link shadow") || !strings.Contains(string(record), "link root") {
		t.Fatalf("the task could not plant its links: %q", record)
	}

	fs := a.api().AllocFS()
	leaked := func(what string, b []byte) {
		t.Helper()
		if strings.Contains(string(b), secret) || (len(shadow) > 0 && strings.Contains(string(b), strings.SplitN(string(shadow), "\n", 2)[0])) {
			t.Errorf("%s returned a root-only file's content: %.120q", what, b)
		}
	}
	refused := []string{
		"t/local/victim", "/t/local/shadow", "t/local/root/etc/shadow", "t/local/sec/token",
		"t/secrets/token", "t/local/../../../../../../etc/shadow", "../../../etc/shadow",
		"t/local/fifo", "t/local/hard",
	}
	for _, p := range refused {
		t.Run("read "+p, func(t *testing.T) {
			rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
			defer rcancel()
			reads := map[string]func() ([]byte, error){
				"cat": func() ([]byte, error) { return readAll(fs.Cat(rctx, alloc.ID, p)) },
				"readat": func() ([]byte, error) {
					return readAll(fs.ReadAt(rctx, alloc.ID, p, 0, 4096))
				},
				"stream": func() ([]byte, error) {
					var got []byte
					err := fs.Stream(rctx, alloc.ID, p, api.StreamOptions{}, func(fr *api.StreamFrame) error {
						got = append(got, fr.Data...)
						return nil
					})
					return got, err
				},
			}
			for op, read := range reads {
				b, err := read()
				leaked(op+" "+p, b)
				var se *api.StatusError
				if !errors.As(err, &se) || (se.Code != 400 && se.Code != 404) {
					t.Errorf("%s %s = %.80q, %v; want 400 (refused) or 404", op, p, b, err)
				}
			}
		})
	}

	// ls and stat show the links as links and never list through them.
	infos, err := fs.List(ctx, alloc.ID, "/t/local")
	if err != nil {
		t.Fatalf("ls t/local: %v", err)
	}
	modes := map[string]string{}
	for _, fi := range infos {
		modes[fi.Name] = fi.FileMode
	}
	for _, l := range []string{"victim", "shadow", "root", "sec"} {
		if !strings.HasPrefix(modes[l], "L") {
			t.Errorf("ls t/local: %s has mode %q, want a link (L...)", l, modes[l])
		}
	}
	if _, err := fs.List(ctx, alloc.ID, "t/local/root/etc"); err == nil {
		t.Errorf("ls through a link to / succeeded")
	}
	if fi, err := fs.Stat(ctx, alloc.ID, "t/local/shadow"); err != nil || !strings.HasPrefix(fi.FileMode, "L") || fi.ContentType != "" {
		t.Errorf("stat t/local/shadow = %+v, %v; want the link itself", fi, err)
	}

	// What the task wrote reads back, through the API and the CLI.
	b, err := readAll(fs.Cat(ctx, alloc.ID, "/t/local/hello.txt"))
	if err != nil || string(b) != "hello-from-task\n" {
		t.Errorf("cat t/local/hello.txt = %q, %v", b, err)
	}
	if out := a.mustCLI(ctx, "alloc", "fs", alloc.ID, "t/local/hello.txt"); !strings.Contains(out, "hello-from-task") {
		t.Errorf("alloc fs t/local/hello.txt printed %q", out)
	}
	if out := a.mustCLI(ctx, "alloc", "fs", alloc.ID, "t/local"); !strings.Contains(out, "Lrwxrwxrwx") || !strings.Contains(out, "hello.txt") {
		t.Errorf("alloc fs t/local printed %q, want the links and hello.txt", out)
	}
	if code, out := a.cli(ctx, "alloc", "fs", alloc.ID, "t/local/shadow"); code == 0 || strings.Contains(out, secret) {
		t.Errorf("alloc fs t/local/shadow = exit %d, %q; want a refusal", code, out)
	}
	if got, err := os.ReadFile(victim); err != nil || string(got) != secret+"\n" {
		t.Errorf("victim changed: %q, %v", got, err)
	}
	a.mustCLI(ctx, "job", "stop", "-purge", "fsattack")
}

func readAll(rc io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func fsAttackJob(jobID, victim string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "exec"
      user   = "nobody"
      config {
        command = "/bin/sh"
        args    = ["-c", %q, "sh", %q]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`, jobID, fsAttackScript, victim)
}
