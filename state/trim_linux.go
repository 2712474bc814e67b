package state

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

const trimSupported = true

// fileMappings lists the process's file mappings.
func fileMappings() ([]mapping, error) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	return parseMaps(string(b))
}

// dropResident unmaps the resident pages of [addr, addr+n) of a shared
// file mapping. The addresses come from /proc/self/maps, never from Go
// pointers; the caller guarantees the mapping stays mapped meanwhile.
func dropResident(addr, n uintptr) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

// ProcessFileRSS returns the process's resident file-backed memory (RssFile
// in /proc/self/status) in bytes, 0 when unknown.
func ProcessFileRSS() int64 { return ProcessStatus("RssFile:") }

// ProcessStatus returns a kB figure of /proc/self/status (field with its
// colon, e.g. "VmHWM:") in bytes, 0 when unknown.
func ProcessStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), "\n"+field)
	if !ok {
		return 0
	}
	v, _, _ := strings.Cut(rest, "\n")
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}
