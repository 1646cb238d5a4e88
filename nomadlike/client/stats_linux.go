package client

import "golang.org/x/sys/unix"

func diskStats(path string) (*HostDiskStats, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return nil, err
	}
	size := st.Blocks * uint64(st.Bsize)
	avail := st.Bavail * uint64(st.Bsize)
	free := st.Bfree * uint64(st.Bsize)
	return &HostDiskStats{Mountpoint: path, Size: size, Used: size - free, Available: avail}, nil
}
