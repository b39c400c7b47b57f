// Package editor lets a user change plaintext in their own editor without
// leaving it on disk: the text lives in a private temporary directory
// (mode 0700, the file 0600, on /dev/shm where it exists, so on Linux it
// never reaches a disk), and the directory is removed on every exit path —
// normal return, error, and SIGINT, SIGTERM, SIGHUP or SIGQUIT. SIGKILL
// cannot be caught: a directory it leaves behind is named after the dead
// process and removed when the next session starts.
//
// Signals follow git's rules for editors. While the editor runs, SIGINT is
// left to the editor: it shares the terminal, so a ^C reaches it too, and
// editors such as vi use ^C themselves; if the editor dies of it, Run
// reports that. SIGTERM, SIGHUP and SIGQUIT are passed on to the editor, the
// directory is removed, and the process dies of the same signal, as it
// would have without the handler. Outside the editor, all three remove the
// directory and end the process the same way.
package editor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ShmDir is where the private directory goes when it exists: a RAM-backed
// file system on Linux.
var ShmDir = "/dev/shm"

// killDelay is how long a signalled editor gets to exit before it is
// killed.
const killDelay = 3 * time.Second

// Session is a private temporary file being edited.
type Session struct {
	dir, path string

	mu      sync.Mutex
	closed  bool
	editor  *exec.Cmd     // the running editor, if any
	exited  chan struct{} // closed when the running editor has exited
	dying   bool          // a signal handler owns the process's end
	sigs    chan os.Signal
	stop    chan struct{}
	handled []os.Signal
}

// New creates a private directory holding one file, named name (so the
// editor can pick its syntax from the extension), with content.
func New(name string, content []byte) (*Session, error) {
	base := ""
	if fi, err := os.Stat(ShmDir); err == nil && fi.IsDir() && writable(ShmDir) {
		base = ShmDir
	}
	// The directory is named after the process, so that one left behind
	// by a process that could not clean up (SIGKILL, a crash, a power
	// cut on a disk-backed TMPDIR) is removed by the next session.
	RemoveStale(base, dirPrefix)
	dir, err := os.MkdirTemp(base, ProcessPattern(dirPrefix))
	if err != nil {
		return nil, fmt.Errorf("creating a private temporary directory: %w", err)
	}
	s := &Session{dir: dir, path: filepath.Join(dir, filepath.Base(name)), stop: make(chan struct{})}
	// Catch signals before any plaintext exists.
	s.catchSignals()
	if err := os.Chmod(dir, 0o700); err != nil {
		s.Close()
		return nil, fmt.Errorf("creating a private temporary directory: %w", err)
	}
	if err := s.Write(content); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Path is the file to edit.
func (s *Session) Path() string { return s.path }

// Dir is the private directory holding it.
func (s *Session) Dir() string { return s.dir }

// Write replaces the file's content (mode 0600).
func (s *Session) Write(content []byte) error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing the temporary file: %w", err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fmt.Errorf("writing the temporary file: %w", err)
	}
	return f.Close()
}

// Read returns the file's content as the editor left it.
func (s *Session) Read() ([]byte, error) {
	b, err := os.ReadFile(s.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("the editor removed the temporary file")
		}
		return nil, fmt.Errorf("reading the temporary file: %w", err)
	}
	return b, nil
}

// ExitError is an editor that failed: a non-zero exit status, or death by a
// signal.
type ExitError struct {
	Code   int
	Signal os.Signal // nil unless the editor was killed by a signal
}

func (e *ExitError) Error() string {
	if e.Signal != nil {
		return fmt.Sprintf("the editor was stopped by %s", e.Signal)
	}
	return fmt.Sprintf("the editor exited with status %d", e.Code)
}

// Run opens the editor command argv (with the file's path appended) and
// waits for it to exit.
func (s *Session) Run(argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(argv) == 0 {
		return errors.New("no editor command")
	}
	args := append(argv[1:len(argv):len(argv)], s.path)
	cmd := exec.Command(argv[0], args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	s.mu.Lock()
	if s.dying || s.closed {
		s.mu.Unlock()
		s.waitForEnd()
		return errors.New("session closed")
	}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("editor %q not found: set SOPS_EDITOR or EDITOR", argv[0])
		}
		return fmt.Errorf("starting the editor: %w", err)
	}
	s.editor, s.exited = cmd, make(chan struct{})
	s.mu.Unlock()
	err := cmd.Wait()
	s.mu.Lock()
	close(s.exited)
	s.editor = nil
	dying := s.dying
	s.mu.Unlock()
	if dying {
		s.waitForEnd()
	}
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &ExitError{Code: -1, Signal: ws.Signal()}
		}
		return &ExitError{Code: ee.ExitCode()}
	}
	return fmt.Errorf("running the editor: %w", err)
}

// Close removes the directory and everything in it (the editor's swap and
// backup files too), and stops handling signals. It is safe to call more
// than once.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.dying {
		s.mu.Unlock()
		s.waitForEnd()
	}
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	signal.Stop(s.sigs)
	close(s.stop)
	return s.remove()
}

// removeAll overwrites every regular file in the directory, then removes
// it (a stale directory may hold the editor's swap files too).
func (s *Session) removeAll() error {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		p := filepath.Join(s.dir, e.Name())
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				f.Write(make([]byte, fi.Size()))
				f.Close()
			}
		}
	}
	return os.RemoveAll(s.dir)
}

func (s *Session) remove() error {
	// Overwrite before unlinking, for temp dirs that are not in RAM.
	if fi, err := os.Stat(s.path); err == nil && fi.Mode().IsRegular() {
		if f, err := os.OpenFile(s.path, os.O_WRONLY, 0); err == nil {
			f.Write(make([]byte, fi.Size()))
			f.Close()
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("removing the temporary directory %s: %w", s.dir, err)
	}
	return nil
}

func (s *Session) catchSignals() {
	s.sigs = make(chan os.Signal, 4)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		// A signal the process was started with ignored (nohup, a
		// background job) stays ignored.
		if !signal.Ignored(sig) {
			s.handled = append(s.handled, sig)
		}
	}
	signal.Notify(s.sigs, s.handled...)
	go func() {
		for {
			select {
			case <-s.stop:
				return
			case sig := <-s.sigs:
				if s.onSignal(sig) {
					return
				}
			}
		}
	}()
}

// onSignal handles one signal and reports whether the process is ending.
func (s *Session) onSignal(sig os.Signal) bool {
	s.mu.Lock()
	if s.closed {
		// Close won the race: the directory is gone; end the process as
		// the signal would have.
		s.mu.Unlock()
		die(sig)
		return true
	}
	ed, exited := s.editor, s.exited
	if ed != nil && sig == os.Interrupt {
		// The editor got the same ^C from the terminal; it decides.
		s.mu.Unlock()
		return false
	}
	s.dying = true
	s.mu.Unlock()
	if ed != nil {
		ed.Process.Signal(sig)
		select {
		case <-exited:
		case <-time.After(killDelay):
			ed.Process.Kill()
			<-exited
		}
	}
	s.mu.Lock()
	s.remove()
	s.closed = true
	s.mu.Unlock()
	die(sig)
	return true
}

// waitForEnd blocks the caller while a signal handler ends the process, so
// nothing else (an error message, a file write) happens meanwhile.
func (s *Session) waitForEnd() {
	select {}
}

// dirPrefix starts the name of every session directory: sv-edit-PID-RANDOM.
const dirPrefix = "sv-edit-"

// ProcessPattern is the os.MkdirTemp pattern of a private directory named
// after this process: prefix, the process id, a dash, then random.
func ProcessPattern(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()) + "-"
}

// RemoveStale removes the directories in base named by ProcessPattern(prefix)
// that belong to this user and to a process that no longer runs (killed by
// SIGKILL before it could remove them), overwriting their files first. It
// never fails: a directory it cannot judge or remove stays.
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
		(&Session{dir: dir}).removeAll()
	}
}
