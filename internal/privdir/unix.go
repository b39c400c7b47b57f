//go:build unix

package privdir

import (
	"os"
	"syscall"
)

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
