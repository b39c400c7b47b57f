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
	if sig == syscall.SIGQUIT {
		// Go's runtime answers SIGQUIT with a goroutine dump and status 2;
		// end as a shell reports a quit instead.
		os.Exit(128 + int(syscall.SIGQUIT))
	}
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(syscall.Getpid(), s)
	}
	select {}
}

func writable(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}

// processAlive reports whether a process with this id exists (EPERM: it
// does, as another user's).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// ownedByMe reports whether dir belongs to this process's user.
func ownedByMe(dir string) bool {
	fi, err := os.Lstat(dir)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
