//go:build !unix

package privdir

func writable(string) bool { return true }

// Without POSIX process ids to probe, stale directories are left alone.
func processAlive(int) bool { return true }

func ownedByMe(string) bool { return false }
