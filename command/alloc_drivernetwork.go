package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// driverNetworkText shows the network a driver made for a task:
// "10.88.0.7 (http: 8080, metrics: 9090)".
func driverNetworkText(n *nomadlike.DriverNetwork) string {
	labels := make([]string, 0, len(n.PortMap))
	for l := range n.PortMap {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	ports := make([]string, len(labels))
	for i, l := range labels {
		ports[i] = fmt.Sprintf("%s: %d", l, n.PortMap[l])
	}
	if len(ports) == 0 {
		return n.IP
	}
	return fmt.Sprintf("%s (%s)", n.IP, strings.Join(ports, ", "))
}
