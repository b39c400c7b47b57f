// Package editor lets a user change plaintext in their own editor without
// leaving it on disk: the text lives in a private temporary directory
// (internal/privdir: mode 0700, the file 0600, on /dev/shm where it exists,
// so on Linux it never reaches a disk), and the directory is removed on
// every exit path — normal return, error, and SIGINT, SIGTERM, SIGHUP or
// SIGQUIT. SIGKILL cannot be caught: a directory it leaves behind is named
// after the dead process and removed when the next session starts.
//
// Signals follow git's rules for editors. While the editor runs, SIGINT is
// left to the editor: it shares the terminal, so a ^C reaches it too, and
// editors such as vi use ^C themselves; if the editor dies of it, Run
// reports that. SIGTERM, SIGHUP and SIGQUIT are passed on to the editor, the
// directory is removed, and the process dies of the same signal, as it
// would have without the handler. Outside the editor, all three remove the
// directory and end the process the same way. The signal set, the editor's
// start and exit status and the death by a signal follow internal/child.
package editor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"github.com/sv-secrets/sv/internal/child"
	"github.com/sv-secrets/sv/internal/privdir"
)

// killDelay is how long a signalled editor gets to exit before it is
// killed.
const killDelay = 3 * time.Second

// Session is a private temporary file being edited.
type Session struct {
	dir, path string
	priv      *privdir.Dir

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
	// The directory is named after the process, so that one left behind
	// by a process that could not clean up (SIGKILL, a crash, a power
	// cut on a disk-backed TMPDIR) is removed by the next session.
	priv, err := privdir.New(DirPrefix)
	if err != nil {
		return nil, err
	}
	dir := priv.Path()
	s := &Session{dir: dir, priv: priv, path: filepath.Join(dir, filepath.Base(name)), stop: make(chan struct{})}
	// Catch signals before any plaintext exists.
	s.catchSignals()
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
	Code   int       // the exit status, 128+N for death by signal N
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
	if err := child.Start(cmd); err != nil {
		s.mu.Unlock()
		var se *child.StartError
		if errors.As(err, &se) && se.NotFound {
			return fmt.Errorf("editor %q not found: set SOPS_EDITOR or EDITOR", argv[0])
		}
		return fmt.Errorf("starting the editor: %w", err)
	}
	s.editor, s.exited = cmd, make(chan struct{})
	s.mu.Unlock()
	err := child.Wait(cmd)
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
	var ee *child.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Code: ee.Code, Signal: ee.Signal}
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

// remove overwrites the files (the editor's swap and backup files too) and
// removes the directory.
func (s *Session) remove() error {
	return s.priv.Remove()
}

func (s *Session) catchSignals() {
	s.sigs = make(chan os.Signal, 4)
	// A signal the process was started with ignored (nohup, a background
	// job) stays ignored.
	s.handled = child.Signals()
	if len(s.handled) > 0 {
		signal.Notify(s.sigs, s.handled...)
	}
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
		child.Die(sig)
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
	child.Die(sig)
	return true
}

// waitForEnd blocks the caller while a signal handler ends the process, so
// nothing else (an error message, a file write) happens meanwhile.
func (s *Session) waitForEnd() {
	select {}
}

// DirPrefix starts the name of every session directory:
// sv-edit-PID-RANDOM (see privdir.RemoveStale).
const DirPrefix = "sv-edit-"
