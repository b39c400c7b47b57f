//go:build !unix

package editor

import "os"

// die ends the process after a signal. Without POSIX signals there is no
// way to die of one; exit with the shell's code for SIGINT.
func die(os.Signal) {
	os.Exit(130)
}

func writable(string) bool { return true }

// Without POSIX process ids to probe, stale directories are left alone.
func processAlive(int) bool { return true }

func ownedByMe(string) bool { return false }
