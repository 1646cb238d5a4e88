package simnode

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// simVersion is the nomad.version the simulated nodes report.
const simVersion = "0.1.0-sim"

// seededUUID returns a version 4 UUID drawn from r.
func seededUUID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// buildNode returns the fingerprint of simulated node i: attributes a client
// agent's fingerprinters would report on a Debian host, the configured
// resources, a host network with its own address, and healthy exec and
// raw_exec drivers.
func buildNode(cfg *Config, i int) *nomadlike.Node {
	r := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
	id := seededUUID(r)
	secret := seededUUID(r)
	name := fmt.Sprintf("%s-%05d", cfg.NamePrefix, i)
	// 10.x.y.z with z in 1..250: distinct for the first 16 million nodes.
	ip := fmt.Sprintf("10.%d.%d.%d", (i/250/250)%250, (i/250)%250, i%250+1)
	class := ""
	if len(cfg.Classes) > 0 {
		class = cfg.Classes[i%len(cfg.Classes)]
	}
	cores := int(cfg.CPU / 1000)
	if cores < 1 {
		cores = 1
	}
	now := time.Now().UTC()
	driver := func() *nomadlike.DriverInfo {
		return &nomadlike.DriverInfo{
			Attributes: map[string]string{"driver.simulated": "true"},
			Detected:   true, Healthy: true, HealthDescription: "Healthy", UpdateTime: now,
		}
	}
	return &nomadlike.Node{
		ID:         id,
		SecretID:   secret,
		Datacenter: cfg.Datacenter,
		Name:       name,
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"kernel.version":            "6.1.0-sim",
			"kernel.arch":               "x86_64",
			"os.name":                   "debian",
			"os.version":                "12",
			"cpu.arch":                  "amd64",
			"cpu.modelname":             "Simulated CPU",
			"cpu.numcores":              strconv.Itoa(cores),
			"cpu.frequency":             strconv.FormatInt(cfg.CPU/int64(cores), 10),
			"cpu.totalcompute":          strconv.FormatInt(cfg.CPU, 10),
			"memory.totalbytes":         strconv.FormatInt(cfg.MemoryMB<<20, 10),
			"unique.hostname":           name,
			"unique.network.ip-address": ip,
			"nomad.version":             simVersion,
			"nomad.simulated":           "true",
			"driver.exec":               "1",
			"driver.raw_exec":           "1",
		},
		NodeResources: &nomadlike.NodeResources{
			Cpu:            nomadlike.NodeCpuResources{CpuShares: cfg.CPU, TotalCpuCores: cores},
			Memory:         nomadlike.NodeMemoryResources{MemoryMB: cfg.MemoryMB},
			Disk:           nomadlike.NodeDiskResources{DiskMB: cfg.DiskMB},
			MinDynamicPort: nomadlike.MinDynamicPort,
			MaxDynamicPort: nomadlike.MaxDynamicPort,
			Networks: []*nomadlike.NetworkResource{{
				Mode: "host", Device: "eth0", IP: ip, CIDR: ip + "/32", MBits: 1000,
			}},
		},
		ReservedResources:     &nomadlike.NodeReservedResources{},
		Meta:                  map[string]string{"simulated": "true", "rack": "r" + strconv.Itoa(i%16)},
		NodeClass:             class,
		NodePool:              cfg.NodePool,
		Drivers:               map[string]*nomadlike.DriverInfo{"exec": driver(), "raw_exec": driver()},
		SchedulingEligibility: nomadlike.NodeSchedulingEligible,
		Status:                nomadlike.NodeStatusReady,
	}
}
