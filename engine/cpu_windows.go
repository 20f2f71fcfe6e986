//go:build windows

package engine

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + kernel) the process has used so
// far, or 0 when the system does not say.
func processCPU() time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var creation, exit, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	return time.Duration((ticks(kernel) + ticks(user)) * 100) // ticks of 100 ns
}

func ticks(f syscall.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
