//go:build unix

package child

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitStatus(t *testing.T) {
	f := Catch()
	defer f.Stop()
	if err := f.Run(exec.Command("sh", "-c", "exit 0")); err != nil {
		t.Fatalf("exit 0: %v", err)
	}
	var ee *ExitError
	if err := f.Run(exec.Command("sh", "-c", "exit 7")); !errors.As(err, &ee) || ee.Code != 7 || ee.Signal != nil {
		t.Errorf("exit 7: %#v", err)
	}
	if err := f.Run(exec.Command("sh", "-c", "kill -TERM $$")); !errors.As(err, &ee) || ee.Code != 128+15 || ee.Signal != syscall.SIGTERM {
		t.Errorf("killed by TERM: %#v", err)
	}
}

func TestStartErrors(t *testing.T) {
	f := Catch()
	defer f.Stop()
	var se *StartError
	err := f.Run(exec.Command("sv-no-such-command-x"))
	if !errors.As(err, &se) || se.Code() != 127 || err.Error() != "sv-no-such-command-x: command not found" {
		t.Errorf("not found: %v", err)
	}
	p := filepath.Join(t.TempDir(), "notexec")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o644)
	err = f.Run(exec.Command(p))
	if !errors.As(err, &se) || se.Code() != 126 || !strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "fork/exec") {
		t.Errorf("not executable: %v", err)
	}
}

// A signal sv gets while the child runs is passed on; the child's death by
// it becomes 128+N.
func TestForward(t *testing.T) {
	f := Catch()
	defer f.Stop()
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", `echo started > "$1/started"; exec sleep 60`, "sh", dir)
	done := make(chan error, 1)
	go func() { done <- f.Run(cmd) }()
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		if i > 1000 {
			t.Fatal("the child did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	select {
	case err := <-done:
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 128+int(syscall.SIGHUP) {
			t.Errorf("got %v, want death by SIGHUP", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the signal was not passed on")
	}
}

// A signal caught before the child exists ends the run without starting
// it.
func TestSignalBeforeStart(t *testing.T) {
	f := Catch()
	defer f.Stop()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	marker := filepath.Join(t.TempDir(), "ran")
	err := f.Run(exec.Command("sh", "-c", `touch "$1"`, "sh", marker))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 128+int(syscall.SIGTERM) || ee.Signal != syscall.SIGTERM {
		t.Errorf("got %v, want 143", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child ran")
	}
}
