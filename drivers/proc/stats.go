package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

var pageSize = uint64(os.Getpagesize())

// stat is what we read from /proc/<pid>/stat.
type stat struct {
	state     byte
	ppid      int
	pgrp      int
	utime     uint64 // ticks
	stime     uint64 // ticks
	startTime uint64 // ticks after boot
	rssPages  uint64
	// exitCode is the wait(2) status of a zombie (field 52, Linux 3.5+;
	// -1 when the kernel does not show it).
	exitCode int
}

func readStat(pid int) (*stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	return parseStat(b)
}

// parseStat parses a /proc/<pid>/stat line. The command name (field 2) may
// hold spaces and parentheses, so fields are counted after its last ')'.
func parseStat(b []byte) (*stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, errors.New("stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field N is f[N-3].
	if len(f) < 22 {
		return nil, fmt.Errorf("stat: %d fields, want at least 24", len(f)+2)
	}
	num := func(n int) uint64 {
		v, _ := strconv.ParseUint(f[n-3], 10, 64)
		return v
	}
	ppid, _ := strconv.Atoi(f[4-3])
	pgrp, _ := strconv.Atoi(f[5-3])
	exitCode := -1
	if len(f) >= 52-2 {
		if v, err := strconv.Atoi(f[52-3]); err == nil {
			exitCode = v
		}
	}
	return &stat{
		state:     f[0][0],
		ppid:      ppid,
		pgrp:      pgrp,
		exitCode:  exitCode,
		utime:     num(14),
		stime:     num(15),
		startTime: num(22),
		rssPages:  num(24),
	}, nil
}

// groupUsage is the summed use of the live processes of a process group.
type groupUsage struct {
	utime, stime uint64 // ticks
	rssBytes     uint64
	pids         int
}

// groupStats sums the CPU times and RSS of every live process in process group pgid.
func groupStats(pgid int) (groupUsage, error) {
	var g groupUsage
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return g, fmt.Errorf("read /proc: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.pgrp != pgid || st.state == 'Z' || st.state == 'X' {
			continue
		}
		g.utime += st.utime
		g.stime += st.stime
		g.rssBytes += st.rssPages * pageSize
		g.pids++
	}
	return g, nil
}

type sample struct {
	at       time.Time
	cpuTicks uint64
}

// Stats samples the resource use of the task's process group. CPUPercent is
// over the time since the previous call (since the start, on the first).
func (p *Process) Stats() (*drivers.TaskResourceUsage, error) {
	select {
	case <-p.done:
		return nil, fmt.Errorf("stats: process %d has exited", p.pid)
	default:
	}
	now := time.Now()
	g, err := groupStats(p.pid)
	if err != nil {
		return nil, err
	}
	u := &drivers.TaskResourceUsage{
		Timestamp:   now,
		CPUUserNS:   g.utime * (1e9 / clockTicks),
		CPUSystemNS: g.stime * (1e9 / clockTicks),
		MemoryRSS:   g.rssBytes,
		MemoryUsage: g.rssBytes,
		Pids:        g.pids,
	}
	cpu := g.utime + g.stime

	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	prev := p.last
	if prev == nil {
		if started, ok := p.startedAt(); ok {
			prev = &sample{at: started}
		}
	}
	if prev != nil && now.After(prev.at) && cpu >= prev.cpuTicks {
		cpuNS := float64(cpu-prev.cpuTicks) * (1e9 / clockTicks)
		u.CPUPercent = 100 * cpuNS / float64(now.Sub(prev.at).Nanoseconds())
	}
	p.last = &sample{at: now, cpuTicks: cpu}
	return u, nil
}

// startedAt is the wall-clock start of the process, from the boot time.
func (p *Process) startedAt() (time.Time, bool) {
	if p.startTime == 0 {
		return time.Time{}, false
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			ns := int64(p.startTime) * (1e9 / clockTicks)
			return time.Unix(boot, ns), true
		}
	}
	return time.Time{}, false
}
