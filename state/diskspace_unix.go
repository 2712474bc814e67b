//go:build unix

package state

import (
	"fmt"
	"syscall"
)

// FreeSpace returns the bytes available to unprivileged writers on the file
// system holding path.
func FreeSpace(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("state: free space of %s: %w", path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert // field types differ by platform
}
