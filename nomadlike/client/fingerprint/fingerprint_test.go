package fingerprint

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fakeRoot writes a small /proc, /sys and /etc tree.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestHost(t *testing.T) {
	cpuinfo := "processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2096.020\n\nprocessor\t: 1\nmodel name\t: Test CPU\ncpu MHz\t\t: 1800.000\n"
	cases := []struct {
		name  string
		files map[string]string
		want  map[string]string
		cpu   int64
		memMB int64
	}{
		{
			name: "hybrid cgroups, cpuinfo MHz",
			files: map[string]string{
				"proc/cpuinfo":                "" + cpuinfo,
				"proc/meminfo":                "MemTotal:        8192000 kB\nMemFree: 1 kB\n",
				"etc/os-release":              "ID=debian\nVERSION_ID=\"12\"\n",
				"sys/fs/cgroup/unified/x":     "",
				"sys/fs/cgroup/memory/tasks":  "",
				"proc/self/mountinfo":         "",
				"sys/devices/system/cpu/junk": "",
			},
			want: map[string]string{
				"cpu.numcores": "2", "cpu.frequency": "2096", "cpu.totalcompute": "4192", "cpu.modelname": "Test CPU",
				"memory.totalbytes": strconv.Itoa(8192000 * 1024), "os.name": "debian", "os.version": "12",
				"os.cgroups.version": "1", "nomad.version": "1.2.3", "kernel.name": "linux",
			},
			cpu: 4192, memMB: 8000,
		},
		{
			name: "unified cgroups, cpufreq max",
			files: map[string]string{
				"proc/cpuinfo":                     cpuinfo,
				"proc/meminfo":                     "MemTotal: 1024 kB\n",
				"sys/fs/cgroup/cgroup.controllers": "cpu memory",
				"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3000000\n",
			},
			want: map[string]string{"cpu.frequency": "3000", "cpu.totalcompute": "6000", "os.cgroups.version": "2", "unique.cgroup.version": "2"},
			cpu:  6000, memMB: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			res, err := Host(Config{DataDir: dataDir, AgentVersion: "1.2.3", Root: fakeRoot(t, tc.files)})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if res.Attributes[k] != v {
					t.Errorf("attr %s = %q, want %q", k, res.Attributes[k], v)
				}
			}
			for _, k := range []string{"kernel.version", "unique.hostname", "unique.network.ip-address", "unique.storage.bytesfree", "unique.storage.bytestotal", "unique.storage.volume"} {
				if res.Attributes[k] == "" {
					t.Errorf("attr %s missing", k)
				}
			}
			if res.Resources.Cpu.CpuShares != tc.cpu || res.Resources.Memory.MemoryMB != tc.memMB {
				t.Errorf("resources cpu=%d mem=%d, want %d %d", res.Resources.Cpu.CpuShares, res.Resources.Memory.MemoryMB, tc.cpu, tc.memMB)
			}
			if res.Resources.Disk.DiskMB <= 0 || res.Resources.MinDynamicPort != 20000 || res.Resources.MaxDynamicPort != 32000 {
				t.Errorf("resources = %+v", res.Resources)
			}
			if len(res.Resources.Networks) != 1 || res.Resources.Networks[0].IP != res.Attributes["unique.network.ip-address"] {
				t.Errorf("networks = %+v", res.Resources.Networks)
			}
		})
	}
}

func TestHostReal(t *testing.T) {
	res, err := Host(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(res.Attributes["cpu.numcores"]); n < 1 {
		t.Errorf("cpu.numcores = %q", res.Attributes["cpu.numcores"])
	}
	if res.Resources.Memory.MemoryMB <= 0 {
		t.Errorf("memory = %d", res.Resources.Memory.MemoryMB)
	}
}
