//go:build !unix

package child

import "os"

// Die ends the process after a signal. Without POSIX signals there is no
// way to die of one; exit with the shell's code for SIGINT.
func Die(os.Signal) {
	os.Exit(130)
}
