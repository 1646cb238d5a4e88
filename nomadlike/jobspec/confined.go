package jobspec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Confined parsing, for job files that come over the network (the servers'
// /v1/jobs/parse). HCL evaluation can build values of any size from a
// small file (range(1e9), strings doubled through locals), so the parse
// runs in a child process of the same binary, under a memory (data) and a
// CPU-time limit, with an empty environment, and with the file functions
// disabled (NoFileFunctions): a file that would exhaust the limits kills
// the child, not the agent.
//
// The child is the current executable started again with confinedEnv set:
// the init function below turns such a process into the parser (read a
// request on stdin, write the answer on stdout, exit) before main runs, in
// any binary that links this package (the agent, and test binaries).

// confinedEnv is set, to "1", in the environment of the child.
const confinedEnv = "NOMADLIKE_JOBSPEC_CONFINED"

func init() {
	if os.Getenv(confinedEnv) == "1" {
		os.Exit(serveConfined(os.Stdin, os.Stdout))
	}
}

// ErrParseLimit is wrapped by the error of a confined parse whose child
// passed its limits (or died otherwise): the job file is too expensive to
// evaluate.
var ErrParseLimit = errors.New("the job file is too expensive to parse")

// ConfinedLimits bound a confined parse; zero fields take the defaults.
type ConfinedLimits struct {
	// Memory caps the child's data (RLIMIT_DATA: its heap and other
	// private writable memory; 1 GiB). Go reserves address space it does
	// not use, so the address space itself is not capped.
	Memory uint64
	// CPU caps its CPU time (10s); Wall its running time (30s).
	CPU, Wall time.Duration
}

// Default confined limits (see ConfinedLimits).
const (
	DefaultConfinedMemory = 1 << 30
	DefaultConfinedCPU    = 10 * time.Second
	DefaultConfinedWall   = 30 * time.Second
)

type confinedRequest struct {
	Filename   string      `json:"Filename"`
	Src        []byte      `json:"Src"`
	VarSources []VarSource `json:"VarSources"`
}

type confinedAnswer struct {
	Job *nomadlike.Job `json:"Job"`
	// Error is the parse error's text; Invalid says it was an *Error
	// (ErrInvalidJobFile), Validation that the job failed its checks.
	Error      string `json:"Error"`
	Invalid    bool   `json:"Invalid"`
	Validation bool   `json:"Validation"`
}

// ParseConfined parses src (named filename in diagnostics) with the
// variables files vars, as Parse does with NoFileFunctions and an empty
// environment, in a child process bounded by lim. A bad job file is an
// error wrapping ErrInvalidJobFile (and nomadlike.ErrValidation when the
// job failed its checks) whose text lists each problem as
// "file:line:col: message"; a child that passed its limits, an error
// wrapping ErrParseLimit; ctx ends the child.
func ParseConfined(ctx context.Context, filename string, src []byte, vars []VarSource, lim ConfinedLimits) (*nomadlike.Job, error) {
	lim = lim.withDefaults()
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("confined parse: find the executable: %w", err)
	}
	req, err := json.Marshal(confinedRequest{Filename: filename, Src: src, VarSources: vars})
	if err != nil {
		return nil, fmt.Errorf("confined parse: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Wall)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = []string{confinedEnv + "=1", "GOMAXPROCS=1"}
	cmd.Dir = "/"
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("confined parse: %w", err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &limitedBuffer{max: 4 << 10, buf: &stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("confined parse: start the parser: %w", err)
	}
	// The child reads its request only after the limits are set.
	limErr := setLimits(cmd.Process.Pid, lim)
	if limErr == nil {
		_, _ = stdin.Write(req)
	}
	stdin.Close()
	waitErr := cmd.Wait()
	switch {
	case limErr != nil:
		return nil, fmt.Errorf("confined parse: set the parser's limits: %w", limErr)
	case ctx.Err() != nil && waitErr != nil:
		return nil, fmt.Errorf("%w: it ran longer than %s", ErrParseLimit, lim.Wall)
	case waitErr != nil:
		why, _, _ := bytes.Cut(bytes.TrimSpace(stderr.Bytes()), []byte("\n"))
		return nil, fmt.Errorf("%w: the parser stopped (%v: %.200s); its limits are %d MiB of memory and %s of CPU time",
			ErrParseLimit, waitErr, why, lim.Memory>>20, lim.CPU)
	}
	var ans confinedAnswer
	if err := json.Unmarshal(stdout.Bytes(), &ans); err != nil {
		return nil, fmt.Errorf("confined parse: read the parser's answer: %w", err)
	}
	if ans.Error == "" {
		return ans.Job, nil
	}
	switch {
	case ans.Validation:
		return nil, &confinedError{msg: ans.Error, targets: []error{ErrInvalidJobFile, nomadlike.ErrValidation}}
	case ans.Invalid:
		return nil, &confinedError{msg: ans.Error, targets: []error{ErrInvalidJobFile}}
	}
	return nil, errors.New(ans.Error)
}

func (l ConfinedLimits) withDefaults() ConfinedLimits {
	if l.Memory == 0 {
		l.Memory = DefaultConfinedMemory
	}
	if l.CPU <= 0 {
		l.CPU = DefaultConfinedCPU
	}
	if l.Wall <= 0 {
		l.Wall = DefaultConfinedWall
	}
	return l
}

// setLimits caps the data, CPU time and open files of process pid.
func setLimits(pid int, lim ConfinedLimits) error {
	cpu := uint64((lim.CPU + time.Second - 1) / time.Second)
	for _, l := range []struct {
		res int
		max uint64
	}{{unix.RLIMIT_DATA, lim.Memory}, {unix.RLIMIT_CPU, cpu}, {unix.RLIMIT_NOFILE, 16}, {unix.RLIMIT_FSIZE, 0}} {
		if err := unix.Prlimit(pid, l.res, &unix.Rlimit{Cur: l.max, Max: l.max}, nil); err != nil {
			return err
		}
	}
	return nil
}

// serveConfined is the child: one request on in, its answer on out.
func serveConfined(in io.Reader, out io.Writer) int {
	var req confinedRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "confined parse: read request:", err)
		return 2
	}
	job, err := Parse(req.Filename, req.Src, &ParseOptions{Environ: []string{}, NoFileFunctions: true, VarSources: req.VarSources})
	ans := confinedAnswer{Job: job}
	if err != nil {
		ans.Error = err.Error()
		ans.Invalid = errors.Is(err, ErrInvalidJobFile)
		ans.Validation = errors.Is(err, nomadlike.ErrValidation)
	}
	if err := json.NewEncoder(out).Encode(&ans); err != nil {
		fmt.Fprintln(os.Stderr, "confined parse: write answer:", err)
		return 2
	}
	return 0
}

// confinedError is a parse error carried back from the child.
type confinedError struct {
	msg     string
	targets []error
}

func (e *confinedError) Error() string { return e.msg }

func (e *confinedError) Is(target error) bool {
	for _, t := range e.targets {
		if t == target {
			return true
		}
	}
	return false
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	buf *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
