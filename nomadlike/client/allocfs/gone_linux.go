package allocfs

import (
	"os"
	"syscall"
)

// gone reports whether the open file was unlinked (no name left).
func gone(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
