//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// SIGKILL cannot be caught: sv edit killed by it leaves its private
// directory (with the plaintext) behind. The directory is named after the
// dead process, and the next sv edit removes it.
func TestEditSIGKILLLeftoverRemovedByNextEdit(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "slow.sh", `echo $$ > "$T/editor.pid"; echo "$1" > "$T/started"; exec sleep 600`+"\n")
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	done := start(t, c)
	tmp := waitFile(t, filepath.Join(f.dir, "started"), done)
	pid := waitFile(t, filepath.Join(f.dir, "editor.pid"), done)
	t.Cleanup(func() {
		var n int
		if _, err := fmt.Sscan(pid, &n); err == nil {
			syscall.Kill(n, syscall.SIGKILL)
		}
	})
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, done)
	if b, err := os.ReadFile(tmp); err != nil || !strings.Contains(string(b), "hunter2") {
		t.Fatalf("expected SIGKILL to leave the plaintext behind (the limit this test is about): %q, %v", b, err)
	}
	if !strings.HasPrefix(filepath.Base(filepath.Dir(tmp)), "sv-edit-"+strconv.Itoa(c.Process.Pid)+"-") {
		t.Errorf("%s is not named after sv's process %d", filepath.Dir(tmp), c.Process.Pid)
	}
	// The next edit (an editor that changes nothing) removes it.
	next := f.command("edit", "values.yaml")
	next.Env = append(next.Env, "EDITOR=true")
	var stderr bytes.Buffer
	next.Stderr = &stderr
	if err := next.Run(); err != nil {
		t.Fatalf("sv edit: %v\n%s", err, stderr.String())
	}
	assertGone(t, tmp)
	f.assertUnchanged(t)
}

// SIGQUIT (^\) is handled like SIGTERM: the editor is stopped and the
// plaintext removed; sv ends with status 131 (128+SIGQUIT), without Go's
// goroutine dump.
func TestEditSIGQUIT(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "slow.sh", `echo "$1" > "$T/started"; exec sleep 600`+"\n")
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	done := start(t, c)
	tmp := waitFile(t, filepath.Join(f.dir, "started"), done)
	if err := c.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	waitExit(t, done)
	if code := c.ProcessState.ExitCode(); code != 131 {
		t.Errorf("sv exited with %d, want 131 (stderr: %s)", code, stderr.String())
	}
	assertGone(t, tmp)
	f.assertUnchanged(t)
	if strings.Contains(stderr.String(), "goroutine") || strings.Contains(stderr.String(), "hunter2") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// exec-file's private directory likewise: left by SIGKILL, removed by the
// next exec-file.
func TestExecFileSIGKILLLeftoverRemoved(t *testing.T) {
	f := newSvFixture(t)
	script := f.editor(t, "child.sh", `echo $$ > "$T/child.pid"; echo "$1" > "$T/started"; exec sleep 600`+"\n")
	c := f.command("exec-file", "values.yaml", script, "{}")
	done := start(t, c)
	tmp := waitFile(t, filepath.Join(f.dir, "started"), done)
	pid := waitFile(t, filepath.Join(f.dir, "child.pid"), done)
	t.Cleanup(func() {
		var n int
		if _, err := fmt.Sscan(pid, &n); err == nil {
			syscall.Kill(n, syscall.SIGKILL)
		}
	})
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, done)
	if b, err := os.ReadFile(tmp); err != nil || !strings.Contains(string(b), "hunter2") {
		t.Fatalf("expected SIGKILL to leave the plaintext behind: %q, %v", b, err)
	}
	next := f.command("exec-file", "values.yaml", "true", "{}")
	if out, err := next.CombinedOutput(); err != nil {
		t.Fatalf("sv exec-file: %v\n%s", err, out)
	}
	if _, err := os.Lstat(filepath.Dir(tmp)); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", filepath.Dir(tmp), err)
	}
}
