package execinit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// joinNetns moves the calling thread (the init's, locked) into the network
// namespace bind-mounted at path; the task exec'd from it stays there.
func joinNetns(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("join network namespace %s: %w", path, err)
	}
	return nil
}
