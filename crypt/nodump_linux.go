package crypt

import "golang.org/x/sys/unix"

// noCoreDumps marks the process non-dumpable before it loads identities
// (as ssh-agent does): no core file holds an identity or a data key, and
// other processes of the same user can neither ptrace it nor read its
// /proc/PID/mem or environ. It stays so until the process exits; a command
// the process runs (exec-env, exec-file, an editor) starts dumpable again,
// since execve resets the flag.
func noCoreDumps() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

// Dumpable reports the process's PR_GET_DUMPABLE flag (for tests).
func Dumpable() bool {
	n, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	return err != nil || n != 0
}
