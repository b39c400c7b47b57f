//go:build unix

package child

import (
	"os"
	"os/signal"
	"syscall"
)

// Die ends the process by sig, as the signal's default action would have:
// the handler is removed and the signal sent again, so the parent sees the
// process killed by it (exit status 128+n in a shell). SIGQUIT ends with
// status 131 instead: Go's runtime would answer it with a goroutine dump.
func Die(sig os.Signal) {
	if sig == syscall.SIGQUIT {
		os.Exit(128 + int(syscall.SIGQUIT))
	}
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(syscall.Getpid(), s)
	}
	select {}
}
