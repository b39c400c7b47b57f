package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// replace writes data into an unnamed O_TMPFILE inode in dir, links it to
// a temporary name and renames that over dir/base. A kill before the link
// leaves nothing; the named window is the linkat and rename calls. File
// systems without O_TMPFILE get replaceNamed.
func replace(dir, base string, data []byte, mode os.FileMode, old os.FileInfo) (err error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode))
	if err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return replaceNamed(dir, base, data, mode, old)
		}
		return err
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, base))
	defer f.Close()
	if err := fill(f, data, mode, old); err != nil {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+base+tmpInfix+hex.EncodeToString(rnd[:]))
	stop := removeOnSignal(tmp)
	defer stop()
	err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, tmp, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		// No /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, try it.
		if err2 := unix.Linkat(fd, "", unix.AT_FDCWD, tmp, unix.AT_EMPTY_PATH); err2 != nil {
			return replaceNamed(dir, base, data, mode, old)
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, base)); err != nil {
		os.Remove(tmp)
		return unwrapPath(err)
	}
	syncDir(dir)
	return nil
}
