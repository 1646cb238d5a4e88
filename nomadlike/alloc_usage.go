package nomadlike

// AllocUsage is one allocation's resource usage as its client samples it
// for the built-in autoscaler: the sum over its running tasks of CPU in
// MHz (the percent of a core times the node's MHz per core) and memory in
// MB (resident set).
type AllocUsage struct {
	AllocID  string  `json:"AllocID"`
	CPUMHz   float64 `json:"CPUMHz"`
	MemoryMB float64 `json:"MemoryMB"`
}

// MaxUsageSamples is the most samples one push may carry (about 50 KiB,
// under the API's 64 KiB cap of such a call).
const MaxUsageSamples = 512
