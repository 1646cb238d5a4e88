package checks

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// BenchmarkThousandChecks runs 1,000 http checks (100 allocations × 10
// checks, every 1 s) against a local http server for a 10 s window and
// reports the process's CPU time as a percentage of one core
// ("cpu%/core"). The server is a child process (this test binary running
// TestHelperHTTPServer), so only the checks' CPU is counted. Run with
//
//	go test ./nomadlike/client/checks -run '^$' -bench ThousandChecks -benchtime 1x
func BenchmarkThousandChecks(b *testing.B) {
	addr := startServerProcess(b)
	m := startManager(b)
	for i := 0; i < 100; i++ {
		var chks []*nomadlike.ServiceCheck
		for j := 0; j < 10; j++ {
			chks = append(chks, &nomadlike.ServiceCheck{Name: fmt.Sprintf("c%d", j), Type: "http", Path: "/health", Interval: time.Second, Timeout: time.Second})
		}
		m.Register(testAlloc(b, fmt.Sprintf("alloc-%03d", i), addr, chks...), newFakeTasks())
	}
	time.Sleep(2 * time.Second) // warm-up: connections open, first runs spread
	window := 10 * time.Second
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		before, start := cpuTime(b), time.Now()
		time.Sleep(window) // the measured window: checks run on their own
		used, wall := cpuTime(b)-before, time.Since(start)
		b.ReportMetric(100*used.Seconds()/wall.Seconds(), "cpu%/core")
		passing := 0
		for i := 0; i < 100; i++ {
			for _, r := range m.Results(fmt.Sprintf("alloc-%03d", i)) {
				if r.Status == "success" {
					passing++
				}
			}
		}
		if passing != 1000 {
			b.Fatalf("%d of 1000 checks passing", passing)
		}
	}
}

// startServerProcess runs TestHelperHTTPServer in a child process and
// returns its address.
func startServerProcess(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHTTPServer$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close() // the helper exits when its stdin closes
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "addr="))
}

const helperEnv = "NOMADLIKE_CHECKS_HELPER_SERVER"

// TestHelperHTTPServer is the benchmark's http server process; it does
// nothing in a normal test run.
func TestHelperHTTPServer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for BenchmarkThousandChecks")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	fmt.Printf("addr=%s\n", l.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
