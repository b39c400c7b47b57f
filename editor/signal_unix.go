//go:build unix

package editor

import (
	"os"
	"os/signal"
	"syscall"
)

// die ends the process by sig, as the signal's default action would have:
// the handler is removed and the signal sent again, so the parent sees the
// process killed by it (exit status 128+n in a shell).
func die(sig os.Signal) {
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(syscall.Getpid(), s)
	}
	select {}
}

func writable(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}
