// Package child runs another program for sv — the command of exec-env and
// exec-file, helm behind the Helm wrapper, the user's editor — under one
// policy:
//
//   - The signals that would end sv before it could clean up (Signals:
//     SIGINT, SIGTERM, SIGHUP, SIGQUIT) are caught from the moment Catch is
//     called, so no plaintext can be left behind by them, and passed on to
//     the child while it runs. A signal the process was started with
//     ignored (nohup, a background job) stays ignored, for sv and the child.
//   - A signal that arrives before the child exists ends the run without
//     starting it, as if the child had died of it.
//   - The child's exit status becomes sv's: its exit code, or 128+N when
//     signal N killed it (as a shell reports it). A child that cannot be
//     started is 127 when the program is not found and 126 otherwise.
//
// The package returns values and typed errors; it never prints or exits,
// except Die, which ends the process as a signal would have.
package child

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// Exit codes for a child that could not be started, as POSIX shells use
// them.
const (
	CodeNotFound      = 127
	CodeCannotExecute = 126
)

// forwarded are the signals sv catches and passes on.
var forwarded = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Signals returns the signals to catch and pass on to a child: SIGINT,
// SIGTERM, SIGHUP and SIGQUIT, minus those the process was started with
// ignored.
func Signals() []os.Signal {
	var out []os.Signal
	for _, s := range forwarded {
		if !signal.Ignored(s) {
			out = append(out, s)
		}
	}
	return out
}

// ExitError is a child that ran and failed.
type ExitError struct {
	// Code is the exit status sv passes on: the child's exit code, or
	// 128+N if signal N killed it.
	Code int
	// Signal is the signal that killed the child, nil if it exited.
	Signal os.Signal
}

func (e *ExitError) Error() string {
	if e.Signal != nil {
		return fmt.Sprintf("killed by %s", e.Signal)
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// StartError is a child that could not be started.
type StartError struct {
	Name     string // the program, as given
	NotFound bool   // no such program (on PATH or at the path given)
	Err      error  // the reason, without the program's name
}

func (e *StartError) Error() string {
	if e.NotFound {
		return e.Name + ": command not found"
	}
	return e.Name + ": " + e.Err.Error()
}

func (e *StartError) Unwrap() error { return e.Err }

// Code is the exit status sv passes on: 127 if the program was not found,
// else 126.
func (e *StartError) Code() int {
	if e.NotFound {
		return CodeNotFound
	}
	return CodeCannotExecute
}

// Start starts cmd; a failure is a *StartError.
func Start(cmd *exec.Cmd) error {
	err := cmd.Start()
	if err == nil {
		return nil
	}
	se := &StartError{Name: cmd.Args[0], Err: unwrap(err)}
	se.NotFound = errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist)
	return se
}

// unwrap drops the program's name that exec.Error and os.PathError put in
// front of the reason.
func unwrap(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Wait waits for a started cmd; a failure of the child is an *ExitError
// (other errors, e.g. copying its output, are returned as they are).
func Wait(cmd *exec.Cmd) error {
	return Status(cmd.Wait())
}

// Status maps the error of exec.Cmd.Wait or Run to sv's policy: nil, an
// *ExitError with the code to pass on, or err itself if the child did not
// fail.
func Status(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &ExitError{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	}
	code := ee.ExitCode()
	if code < 0 {
		code = 1
	}
	return &ExitError{Code: code}
}

// Forwarder catches Signals from Catch to Stop and passes them on to the
// child that Run runs.
type Forwarder struct {
	ch chan os.Signal
}

// Catch starts catching Signals. Call it before any plaintext exists, and
// Stop when done (after cleaning up).
func Catch() *Forwarder {
	f := &Forwarder{ch: make(chan os.Signal, 8)}
	if sigs := Signals(); len(sigs) > 0 {
		signal.Notify(f.ch, sigs...)
	}
	return f
}

// Stop stops catching signals: they act as they did before Catch.
func (f *Forwarder) Stop() { signal.Stop(f.ch) }

// Run starts cmd (set its Args, Env and stdio first), passes on the
// signals caught to it until it exits, and returns nil, a *StartError or an
// *ExitError. A signal caught before Run is an *ExitError at once, without
// starting cmd.
func (f *Forwarder) Run(cmd *exec.Cmd) error {
	select {
	case s := <-f.ch:
		return signalled(s)
	default:
	}
	if err := Start(cmd); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-f.ch:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := Wait(cmd)
	close(done)
	return err
}

func signalled(s os.Signal) *ExitError {
	e := &ExitError{Code: 128 + 2, Signal: s} // SIGINT's code where signals have no number
	if n, ok := s.(syscall.Signal); ok {
		e.Code = 128 + int(n)
	}
	return e
}
