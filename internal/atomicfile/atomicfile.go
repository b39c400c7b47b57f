// Package atomicfile is sv's one way of writing a file: readers see the old
// content or the new, never a mix; the name keeps pointing at what it
// pointed at (a symlink's target is replaced, not the link; a device, FIFO
// or /dev/stdout is written into, not replaced); the file keeps its mode and
// owner; a read-only file is refused; hard links stay joined; no named
// temporary file is left behind, whatever signal ends the process; and
// writers of one file are serialised, with a re-check of the file under the
// lock so a read-modify-write never silently loses someone else's update.
//
// How a write goes:
//
//   - "/dev/stdout", "/dev/stderr", "/dev/fd/N" and "/proc/self/fd/N" (also
//     reached through a symlink) are written to the process's descriptor N
//     itself: a pipe, a terminal, a socket or a file the shell opened.
//   - Symlinks are resolved link by link; the final target is what gets
//     written (a dangling link creates its target).
//   - A target that exists and is not a regular file (character or block
//     device, FIFO, socket) is opened for writing and written into; nothing
//     is created or renamed.
//   - Otherwise the target's directory is locked (flock), Options.Check sees
//     the target's current content, and a read-only target is refused
//     unless Options.Force. A file with more than one hard link, whose
//     owner the process cannot give a new file, or in a directory the
//     process cannot create files in, is rewritten in place (its
//     inode, links and owner stay; a crash in the middle can leave it
//     partly written, the price of keeping the links). Every other file is
//     replaced: on Linux the new content goes into an unnamed O_TMPFILE
//     inode, fsynced, linked to a temporary name and renamed over the
//     target at once (so a kill before the link leaves nothing, and the
//     named window is two system calls); elsewhere a named temporary file
//     is used. A named temporary file is removed on SIGINT, SIGTERM and
//     SIGHUP; one left by SIGKILL in that window is removed by the next
//     write of the same file (under the lock).
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options say how to write.
type Options struct {
	// Mode is the permission of a file that does not exist yet, and of an
	// existing one unless KeepMode is set. Zero means 0600.
	Mode os.FileMode
	// KeepMode keeps an existing file's permission bits.
	KeepMode bool
	// Force writes a read-only file (no write permission bit set, or not
	// writable by this process) instead of refusing with *ReadOnlyError.
	Force bool
	// Check, if set, runs while the lock is held, with the target's
	// current content (exists is false when there is no file yet). An
	// error aborts the write and is returned as it is: read-modify-write
	// callers compare with what they read, and retry or give up.
	Check func(current []byte, exists bool) error
	// LockTimeout bounds the wait for another writer (default 30s).
	LockTimeout time.Duration
}

// StaleAge is how old a leftover temporary file must be before a write to
// the same target removes it when the directory could not be locked (with
// the lock, every leftover goes).
var StaleAge = time.Minute

// tmpInfix names temporary files: ".NAME.sv-tmp-RANDOM" beside NAME.
const tmpInfix = ".sv-tmp-"

// ReadOnlyError is a refusal to write a read-only file.
type ReadOnlyError struct{ Path string }

func (e *ReadOnlyError) Error() string { return e.Path + " is read-only; not overwritten" }

// LockedError means another writer held the file's lock for too long.
type LockedError struct {
	Path string
	Wait time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s: another process has been writing it for %s; not overwritten", e.Path, e.Wait)
}

// Error is a failed write; Path is the name the caller gave.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return "writing " + e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Write writes data to path as the package comment describes.
func Write(path string, data []byte, opt Options) error {
	if opt.LockTimeout == 0 {
		opt.LockTimeout = 30 * time.Second
	}
	if fd, ok := descriptor(path); ok {
		return wrap(path, writeDescriptor(fd, data))
	}
	target, fd, err := resolve(path)
	if err != nil {
		return wrap(path, err)
	}
	if fd >= 0 {
		return wrap(path, writeDescriptor(fd, data))
	}
	fi, err := os.Lstat(target)
	switch {
	case err == nil && fi.IsDir():
		return wrap(path, errors.New("is a directory"))
	case err == nil && !fi.Mode().IsRegular():
		return wrap(path, writeSpecial(target, data))
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return wrap(path, unwrapPath(err))
	}
	dir, base := filepath.Dir(target), filepath.Base(target)
	unlock, locked, err := lockDir(dir, opt.LockTimeout)
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			le.Path = path
			return le
		}
		return wrap(path, err)
	}
	defer unlock()

	// Under the lock: what is there now is what counts.
	fi, err = os.Lstat(target)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return wrap(path, unwrapPath(err))
	}
	if exists && !fi.Mode().IsRegular() {
		return wrap(path, errors.New("changed into something other than a regular file while sv was writing it"))
	}
	if opt.Check != nil {
		var cur []byte
		if exists {
			if cur, err = os.ReadFile(target); err != nil {
				return wrap(path, unwrapPath(err))
			}
		}
		if err := opt.Check(cur, exists); err != nil {
			return err
		}
	}
	mode := opt.Mode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	if exists {
		if !opt.Force && readOnly(target, fi) {
			return &ReadOnlyError{Path: path}
		}
		if opt.KeepMode {
			mode = fi.Mode().Perm()
		}
	}
	cleanStale(dir, base, locked)
	if exists && (mustWriteInPlace(fi) || !dirWritable(dir)) {
		return wrap(path, writeInPlace(target, data, mode))
	}
	return wrap(path, replace(dir, base, data, mode, fi))
}

func wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Path: path, Err: err}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// descriptor recognises names of the process's own file descriptors.
func descriptor(path string) (int, bool) {
	switch path {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, prefix := range []string{"/dev/fd/", "/proc/self/fd/", "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}

// resolve follows symlinks to the file a write must change. fd >= 0 means
// a link led to one of the process's descriptors.
func resolve(path string) (target string, fd int, err error) {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return p, -1, nil
			}
			return "", -1, unwrapPath(err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			return p, -1, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", -1, unwrapPath(err)
		}
		if n, ok := descriptor(link); ok {
			return "", n, nil
		}
		if !filepath.IsAbs(link) {
			// Relative to the link's real directory (a lexical join would
			// get "../" wrong under a symlinked directory).
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", -1, unwrapPath(err)
			}
			link = filepath.Join(dir, link)
		}
		p = link
	}
	return "", -1, errors.New("too many levels of symbolic links")
}

// writeDescriptor writes to the process's descriptor fd as it is (a pipe,
// a terminal, the file a shell redirected to), without closing it.
func writeDescriptor(fd int, data []byte) error {
	f, err := dupFile(fd)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(data)
	return err
}

// writeSpecial writes into a device, FIFO or socket node.
func writeSpecial(target string, data []byte) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return unwrapPath(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return unwrapPath(err)
	}
	return unwrapPath(f.Close())
}

// writeInPlace rewrites the file's own inode: links, owner and inode number
// stay.
func writeInPlace(target string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return unwrapPath(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, 0); err != nil {
		return unwrapPath(err)
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return unwrapPath(err)
	}
	if err := f.Chmod(mode); err != nil {
		return unwrapPath(err)
	}
	if err := f.Sync(); err != nil {
		return unwrapPath(err)
	}
	return unwrapPath(f.Close())
}

// replaceNamed is the portable replace: a named temporary file, removed if
// the write fails or a catchable signal arrives before the rename.
func replaceNamed(dir, base string, data []byte, mode os.FileMode, old os.FileInfo) (err error) {
	tmp, err := os.CreateTemp(dir, "."+base+tmpInfix+"*")
	if err != nil {
		return unwrapPath(err)
	}
	name := tmp.Name()
	stop := removeOnSignal(name)
	defer stop()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err = fill(tmp, data, mode, old); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	if err = os.Rename(name, filepath.Join(dir, base)); err != nil {
		return unwrapPath(err)
	}
	syncDir(dir)
	return nil
}

// fill writes data to a new file with the mode (and, where it can, the
// owner) of the file it replaces, and syncs it.
func fill(f *os.File, data []byte, mode os.FileMode, old os.FileInfo) error {
	if old != nil {
		if err := keepOwner(f, old); err != nil {
			return err
		}
	}
	// After any chown, which clears set-id bits.
	if err := f.Chmod(mode); err != nil {
		return unwrapPath(err)
	}
	if _, err := f.Write(data); err != nil {
		return unwrapPath(err)
	}
	return unwrapPath(f.Sync())
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// cleanStale removes this target's temporary files, left by a writer killed
// between naming and renaming one. When the caller holds the directory's
// lock no live sv writer can own one, so all go; without a lock only those
// older than StaleAge.
func cleanStale(dir, base string, locked bool) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+tmpInfix+"*"))
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err == nil && fi.Mode().IsRegular() && (locked || time.Since(fi.ModTime()) > StaleAge) {
			os.Remove(m)
		}
	}
}

func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
