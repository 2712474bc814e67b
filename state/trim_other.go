//go:build !linux

package state

import "errors"

const trimSupported = false

func fileMappings() ([]mapping, error) { return nil, errors.ErrUnsupported }

func dropResident(addr, n uintptr) error { return errors.ErrUnsupported }

// ProcessFileRSS returns 0: only Linux reports it.
func ProcessFileRSS() int64 { return 0 }

// ProcessStatus returns 0: only Linux has /proc/self/status.
func ProcessStatus(field string) int64 { return 0 }
