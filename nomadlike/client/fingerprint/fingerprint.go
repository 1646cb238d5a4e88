package fingerprint

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Config says what to fingerprint.
type Config struct {
	// DataDir is the client's data directory; its file system is the
	// node's storage.
	DataDir string
	// NetworkInterface names the interface whose address the node
	// advertises; empty picks the one with the default route.
	NetworkInterface string
	// AgentVersion becomes nomad.version.
	AgentVersion string
	// Root prefixes /proc, /sys and /etc paths (tests); "" is "/".
	Root string
}

// Result is the host's description.
type Result struct {
	Attributes map[string]string
	Resources  *nomadlike.NodeResources
}

// Host fingerprints the host.
func Host(cfg Config) (*Result, error) {
	attrs := map[string]string{}
	res := &nomadlike.NodeResources{MinDynamicPort: nomadlike.MinDynamicPort, MaxDynamicPort: nomadlike.MaxDynamicPort}
	root := cfg.Root
	if root == "" {
		root = "/"
	}
	p := func(path string) string { return filepath.Join(root, path) }

	attrs["nomad.version"] = cfg.AgentVersion
	attrs["cpu.arch"] = runtime.GOARCH
	attrs["kernel.name"] = runtime.GOOS
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		attrs["kernel.version"] = unix.ByteSliceToString(uts.Release[:])
		attrs["kernel.arch"] = unix.ByteSliceToString(uts.Machine[:])
	}
	if h, err := os.Hostname(); err == nil {
		attrs["unique.hostname"] = h
	}
	if osr, err := readKV(p("etc/os-release"), "="); err == nil {
		if v := osr["ID"]; v != "" {
			attrs["os.name"] = v
		}
		if v := osr["VERSION_ID"]; v != "" {
			attrs["os.version"] = v
		}
	}

	cores, mhz, model := cpuInfo(p)
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	attrs["cpu.numcores"] = strconv.Itoa(cores)
	if model != "" {
		attrs["cpu.modelname"] = model
	}
	if mhz > 0 {
		total := int64(cores) * int64(mhz)
		attrs["cpu.frequency"] = strconv.Itoa(mhz)
		attrs["cpu.totalcompute"] = strconv.FormatInt(total, 10)
		res.Cpu = nomadlike.NodeCpuResources{CpuShares: total, TotalCpuCores: cores}
		for i := 0; i < cores; i++ {
			res.Cpu.ReservableCpuCores = append(res.Cpu.ReservableCpuCores, i)
		}
	}

	if mi, err := readKV(p("proc/meminfo"), ":"); err == nil {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(mi["MemTotal"], " kB"), 10, 64); err == nil {
			attrs["memory.totalbytes"] = strconv.FormatInt(kb*1024, 10)
			res.Memory.MemoryMB = kb / 1024
		}
	}

	if cfg.DataDir != "" {
		var st unix.Statfs_t
		if err := unix.Statfs(cfg.DataDir, &st); err != nil {
			return nil, fmt.Errorf("statfs data dir %s: %w", cfg.DataDir, err)
		}
		free := st.Bavail * uint64(st.Bsize)
		total := st.Blocks * uint64(st.Bsize)
		attrs["unique.storage.volume"] = mountSource(p, cfg.DataDir)
		attrs["unique.storage.bytesfree"] = strconv.FormatUint(free, 10)
		attrs["unique.storage.bytestotal"] = strconv.FormatUint(total, 10)
		res.Disk.DiskMB = int64(free / (1 << 20))
	}

	if v, mount := cgroupVersion(p); v != "" {
		attrs["os.cgroups.version"] = v
		attrs["unique.cgroup.version"] = v
		attrs["unique.cgroup.mountpoint"] = mount
	}

	ip, dev := hostIP(cfg.NetworkInterface)
	if ip != "" {
		attrs["unique.network.ip-address"] = ip
		cidr := ip + "/32"
		if strings.Contains(ip, ":") {
			cidr = ip + "/128"
		}
		res.Networks = []*nomadlike.NetworkResource{{Mode: "host", Device: dev, IP: ip, CIDR: cidr, MBits: 1000}}
	}
	return &Result{Attributes: attrs, Resources: res}, nil
}

// readKV reads "KEY<sep>VALUE" lines, trimming quotes and spaces.
func readKV(path, sep string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out, sc.Err()
}

// cpuInfo returns the number of logical CPUs, the highest frequency in MHz
// (cpufreq's maximum when the kernel exposes it, else /proc/cpuinfo's
// current "cpu MHz") and the model name.
func cpuInfo(p func(string) string) (cores, mhz int, model string) {
	f, err := os.Open(p("proc/cpuinfo"))
	if err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch k {
			case "processor":
				cores++
			case "model name":
				model = v
			case "cpu MHz":
				if f, err := strconv.ParseFloat(v, 64); err == nil && int(f) > mhz {
					mhz = int(f)
				}
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile(p("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")); err == nil {
		if khz, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && khz > 0 {
			mhz = khz / 1000
		}
	}
	return cores, mhz, model
}

// cgroupVersion reports "2" for a unified hierarchy at /sys/fs/cgroup and
// "1" for v1 or hybrid hosts (v1 controllers, maybe cgroup2 at
// /sys/fs/cgroup/unified), with the mount point.
func cgroupVersion(p func(string) string) (string, string) {
	if _, err := os.Stat(p("sys/fs/cgroup/cgroup.controllers")); err == nil {
		return "2", "/sys/fs/cgroup"
	}
	entries, err := os.ReadDir(p("sys/fs/cgroup"))
	if err != nil || len(entries) == 0 {
		return "", ""
	}
	return "1", "/sys/fs/cgroup"
}

// mountSource returns the device of the mount holding path, from
// /proc/self/mountinfo (the longest mount point that prefixes it).
func mountSource(p func(string) string, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	f, err := os.Open(p("proc/self/mountinfo"))
	if err != nil {
		return abs
	}
	defer f.Close()
	best, src := "", abs
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts ... - fstype source superopts
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		mp := fields[4]
		if !(abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) || len(mp) < len(best) {
			continue
		}
		for i, fl := range fields {
			if fl == "-" && i+2 < len(fields) {
				best, src = mp, fields[i+2]
				break
			}
		}
	}
	return src
}

// hostIP returns the address to advertise and its interface: the named
// interface's first address, else the address of the default route's
// interface, else loopback.
func hostIP(iface string) (string, string) {
	if iface != "" {
		if ifc, err := net.InterfaceByName(iface); err == nil {
			if addrs, err := ifc.Addrs(); err == nil {
				for _, a := range addrs {
					if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
						return ipn.IP.String(), iface
					}
				}
			}
		}
	}
	// A UDP "connection" sends nothing; it only asks the kernel for a route.
	if c, err := net.Dial("udp", "192.0.2.1:9"); err == nil {
		ip := c.LocalAddr().(*net.UDPAddr).IP
		c.Close()
		return ip.String(), interfaceOf(ip)
	}
	return "127.0.0.1", "lo"
}

func interfaceOf(ip net.IP) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifs {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
				return ifc.Name
			}
		}
	}
	return ""
}
