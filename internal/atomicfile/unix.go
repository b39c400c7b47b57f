//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive flock on the directory, waiting at most
// timeout for another writer. locked is false where the file system has
// no flock: the write goes ahead without it (the Check still runs).
func lockDir(dir string, timeout time.Duration) (unlock func(), locked bool, _ error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EACCES) {
			return func() {}, false, nil
		}
		return nil, false, err
	}
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(fd, unix.LOCK_UN); unix.Close(fd) }, true, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			// No flock here (ENOLCK, EOPNOTSUPP; NFS can answer EBADF for
			// a directory): write without the lock; Check still runs.
			unix.Close(fd)
			return func() {}, false, nil
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			return nil, false, &LockedError{Wait: timeout}
		}
		time.Sleep(wait)
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// readOnly: no write bit at all (root ignores permissions, sv does not),
// or not writable by this process.
func readOnly(target string, fi os.FileInfo) bool {
	if fi.Mode().Perm()&0o222 == 0 {
		return true
	}
	return unix.Access(target, unix.W_OK) != nil
}

// mustWriteInPlace: hard links would be split, or a new file could not get
// the old one's owner.
func mustWriteInPlace(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	if st.Nlink > 1 {
		return true
	}
	if os.Geteuid() == 0 {
		return false
	}
	if int(st.Uid) != os.Geteuid() {
		return true
	}
	if int(st.Gid) != os.Getegid() {
		groups, _ := os.Getgroups()
		for _, g := range groups {
			if g == int(st.Gid) {
				return false
			}
		}
		return true
	}
	return false
}

// keepOwner gives f the owner and group of the file it replaces.
func keepOwner(f *os.File, old os.FileInfo) error {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return unwrapPath(err)
	}
	cur := fi.Sys().(*syscall.Stat_t)
	if cur.Uid == st.Uid && cur.Gid == st.Gid {
		return nil
	}
	return unwrapPath(f.Chown(int(st.Uid), int(st.Gid)))
}

func dupFile(fd int) (*os.File, error) {
	n, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(n)
	return os.NewFile(uintptr(n), "fd"), nil
}

// removeOnSignal removes name if SIGINT, SIGTERM or SIGHUP arrives before
// stop is called, then lets the signal do what it would have done.
func removeOnSignal(name string) (stop func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	go func() {
		select {
		case sig := <-ch:
			os.Remove(name)
			signal.Stop(ch)
			unix.Kill(os.Getpid(), sig.(syscall.Signal))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// dirWritable: a new file can be created in dir.
func dirWritable(dir string) bool {
	return unix.Access(dir, unix.W_OK|unix.X_OK) == nil
}
