// Package privdir makes the private directory sv puts plaintext in for
// another program (the editor of sv edit, the command of exec-file): mode
// 0700, on a RAM-backed file system (ShmDir, /dev/shm) where one exists and
// is writable, else in the temporary directory; its files are overwritten
// before it is removed.
//
// A directory is named after the process that made it (PREFIX-PID-RANDOM),
// so that one left behind by a process that could not clean up (SIGKILL, a
// crash, a power cut on a disk-backed TMPDIR) is removed by the next New
// with the same prefix.
//
// The package returns values and errors; it never prints or exits.
package privdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ShmDir is where the directory goes when it exists: a RAM-backed file
// system on Linux. Tests may change it.
var ShmDir = "/dev/shm"

// Dir is a private directory.
type Dir struct {
	path string
}

// New removes stale directories with prefix (see RemoveStale) and makes a
// new private directory named prefix, the process id, a dash and random
// characters.
func New(prefix string) (*Dir, error) {
	base := os.TempDir()
	if fi, err := os.Stat(ShmDir); err == nil && fi.IsDir() && writable(ShmDir) {
		base = ShmDir
	}
	RemoveStale(base, prefix)
	dir, err := os.MkdirTemp(base, ProcessPattern(prefix))
	if err != nil {
		return nil, fmt.Errorf("creating a private temporary directory: %w", err)
	}
	d := &Dir{path: dir}
	// MkdirTemp makes 0700 less the umask; a umask can only take away.
	if err := os.Chmod(dir, 0o700); err != nil {
		d.Remove()
		return nil, fmt.Errorf("creating a private temporary directory: %w", err)
	}
	return d, nil
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// Remove overwrites every regular file in the directory with zeros (for
// temporary directories that are not in RAM; editors leave swap and backup
// files too), then removes it with everything in it. Named pipes and other
// special files are removed without being opened.
func (d *Dir) Remove() error {
	if err := scrubRemove(d.path); err != nil {
		return fmt.Errorf("removing the temporary directory %s: %w", d.path, err)
	}
	return nil
}

func scrubRemove(dir string) error {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				f.Write(make([]byte, fi.Size()))
				f.Close()
			}
		}
	}
	return os.RemoveAll(dir)
}

// ProcessPattern is the os.MkdirTemp pattern of a directory named after
// this process: prefix, the process id, a dash, then random.
func ProcessPattern(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()) + "-"
}

// RemoveStale removes the directories in base (the temporary directory if
// empty) named by ProcessPattern(prefix) that belong to this user and to a
// process that no longer runs, overwriting their files first. It never
// fails: a directory it cannot judge or remove stays.
func RemoveStale(base, prefix string) {
	if base == "" {
		base = os.TempDir()
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join(base, e.Name())
		if !ownedByMe(dir) || processAlive(pid) {
			continue
		}
		scrubRemove(dir)
	}
}
