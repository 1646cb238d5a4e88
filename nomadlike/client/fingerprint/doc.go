// Package fingerprint inspects the host the client runs on and describes it
// with Nomad's node attribute names (cpu.numcores, memory.totalbytes,
// kernel.version, unique.storage.bytesfree, os.cgroups.version...) and the
// node's allocatable resources. It reads /proc, /sys, /etc/os-release and
// statfs; a value that cannot be read is left out rather than guessed.
package fingerprint
