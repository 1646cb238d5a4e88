package command

import (
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// formatAllocNetwork writes the allocation's ports as Nomad's "Allocation
// Addresses" (host address -> port inside the namespace) and, for a group
// network of its own (bridge, none, cni/NAME), the address the client
// gave it.
func formatAllocNetwork(w io.Writer, a *nomadlike.Allocation) {
	ar := a.AllocatedResources
	if ar == nil {
		return
	}
	mode := nomadlike.NetworkModeHost
	if len(ar.Shared.Networks) > 0 && ar.Shared.Networks[0] != nil && ar.Shared.Networks[0].Mode != "" {
		mode = ar.Shared.Networks[0].Mode
	}
	if len(ar.Shared.Ports) > 0 {
		dynamic := map[string]bool{}
		for _, n := range ar.Shared.Networks {
			for _, p := range n.DynamicPorts {
				dynamic[p.Label] = true
			}
		}
		rows := make([][]string, 0, len(ar.Shared.Ports))
		for _, p := range ar.Shared.Ports {
			addr := net.JoinHostPort(p.HostIP, strconv.Itoa(p.Value))
			if p.To > 0 && p.To != p.Value {
				addr += " -> " + strconv.Itoa(p.To)
			}
			dyn := "no"
			if dynamic[p.Label] {
				dyn = "yes"
			}
			rows = append(rows, []string{"*" + p.Label, dyn, addr})
		}
		fmt.Fprintf(w, "\nAllocation Addresses (mode = %q):\n", mode)
		table(w, []string{"Label", "Dynamic", "Address"}, rows)
	}
	if st := a.NetworkStatus; st != nil {
		fmt.Fprintf(w, "\nNetwork Status (mode = %q):\n", mode)
		pairs := [][2]string{{"Interface", st.InterfaceName}, {"Address", orNone(st.Address)}}
		if st.DNS != nil && len(st.DNS.Servers) > 0 {
			pairs = append(pairs, [2]string{"DNS Servers", fmt.Sprint(st.DNS.Servers)})
		}
		kv(w, pairs)
	}
}
