// Package containerd is the containerd task driver. It talks to a real
// containerd daemon through containerd's Go client: it imports images from
// local OCI or docker archives (image_archive) when there is no registry,
// creates one container per task with the alloc, local and secrets
// directories mounted at Nomad's paths, enforces memory and CPU shares through
// the OCI spec, copies the task's output into the same rotated log files as
// the other drivers, and reattaches to running containers after a restart.
//
// A container is confined as by Nomad's docker driver, and only the agent's
// plugin config widens it: capabilities are Nomad's default set (no
// NET_RAW) limited to allow_caps, and cap_add may name only those; host
// paths need volumes.enabled, while relative bind sources and image archives
// are resolved beneath the allocation directory with openat2 and bound from
// the opened handle (resolve.go); privileged and seccomp = false need
// allow_privileged.
//
// The driver keeps no helper process per task: containerd's shim supervises
// the container, and the driver process only copies logs and waits.
package containerd
