//go:build !linux

package crypt

// noCoreDumps: only Linux has PR_SET_DUMPABLE; elsewhere core dumps are
// limited by the system's settings (ulimit -c).
func noCoreDumps() {}

// Dumpable reports whether the process may dump core (always true here).
func Dumpable() bool { return true }
