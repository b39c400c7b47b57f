//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/sv-secrets/sv/internal/tooltest"
)

// These tests run the real sv binary as a separate process (testscript's
// TestMain puts it on PATH as "sv": this test binary, started under that
// name, runs main), because what they check — dying of a signal, the
// controlling terminal — is about a whole process.

// deadline bounds every wait; reaching it is a hang, not a slow machine.
const deadline = 2 * time.Minute

// svFixture is a directory with an encrypted values.yaml (to Alice) and the
// environment for running sv on it.
type svFixture struct {
	dir  string
	file string
	orig []byte
	env  []string
}

func newSvFixture(t *testing.T) *svFixture {
	t.Helper()
	sv, err := exec.LookPath("sv")
	if err != nil {
		t.Fatalf("sv is not on PATH: %v", err)
	}
	t.Logf("sv: %s", sv)
	keys := testKeysDir(t)
	dir := t.TempDir()
	f := &svFixture{dir: dir, file: filepath.Join(dir, "values.yaml")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOPS_") && !strings.HasPrefix(kv, "EDITOR=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			f.env = append(f.env, kv)
		}
	}
	f.env = append(f.env, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"SOPS_AGE_KEY_FILE="+filepath.Join(keys, "alice.agekey"), "KEYS="+keys, "T="+dir)
	if err := os.WriteFile(f.file, []byte("db:\n  password: hunter2\n  port: 5432\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := f.command("encrypt", "--age", testRecipient(t, filepath.Join(keys, "alice.agekey")), f.file).CombinedOutput()
	if err != nil {
		t.Fatalf("sv encrypt: %v\n%s", err, out)
	}
	f.orig, _ = os.ReadFile(f.file)
	return f
}

// command is an sv command in the fixture's directory and environment.
func (f *svFixture) command(args ...string) *exec.Cmd {
	c := exec.Command("sv", args...)
	c.Dir, c.Env = f.dir, f.env
	return c
}

// editor writes a shell script to use as EDITOR.
func (f *svFixture) editor(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFile waits until the file exists and is not empty, and returns it.
func waitFile(t *testing.T, p string, done <-chan error) string {
	t.Helper()
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		if b, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b))
		}
		select {
		case err := <-done:
			t.Fatalf("sv exited before %s appeared: %v", p, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("timed out waiting for %s", p)
	return ""
}

func waitExit(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(deadline):
		t.Fatal("timed out waiting for sv to exit")
		return nil
	}
}

func start(t *testing.T, c *exec.Cmd) <-chan error {
	t.Helper()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	t.Cleanup(func() { c.Process.Kill() })
	return done
}

func assertGone(t *testing.T, tmpFile string) {
	t.Helper()
	for _, p := range []string{tmpFile, filepath.Dir(tmpFile)} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	if !strings.Contains(filepath.Base(filepath.Dir(tmpFile)), "sv-edit-") {
		t.Errorf("unexpected temporary path %s", tmpFile)
	}
}

func (f *svFixture) assertUnchanged(t *testing.T) {
	t.Helper()
	if b, _ := os.ReadFile(f.file); !bytes.Equal(b, f.orig) {
		t.Errorf("%s changed", f.file)
	}
}

func signalOf(err error) syscall.Signal {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal()
		}
	}
	return 0
}

func testKeysDir(t *testing.T) string {
	return filepath.Join(tooltest.RepoRoot(t), "testdata", "keys")
}

// SIGTERM while the editor runs: sv passes it to the editor, removes the
// plaintext and dies of SIGTERM; the encrypted file is untouched.
func TestEditSIGTERM(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "slow.sh", `echo $$ > "$T/editor.pid"; echo "$1" > "$T/started"; exec sleep 600`+"\n")
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	done := start(t, c)
	tmp := waitFile(t, filepath.Join(f.dir, "started"), done)
	pid := waitFile(t, filepath.Join(f.dir, "editor.pid"), done)
	if b, err := os.ReadFile(tmp); err != nil || !strings.Contains(string(b), "password: hunter2") {
		t.Fatalf("the editor's file: %q, %v", b, err)
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := waitExit(t, done)
	if sig := signalOf(err); sig != syscall.SIGTERM {
		t.Errorf("sv ended with %v, want death by SIGTERM (stderr: %s)", err, stderr.String())
	}
	assertGone(t, tmp)
	f.assertUnchanged(t)
	var n int
	if _, err := fmt.Sscan(pid, &n); err == nil {
		if err := syscall.Kill(n, 0); err == nil {
			t.Errorf("the editor (pid %d) is still running", n)
		}
	}
	if strings.Contains(stderr.String(), "hunter2") {
		t.Error("stderr shows the secret")
	}
}

// ^C in a terminal reaches the whole foreground process group: the editor
// dies of it, sv reports that, removes the plaintext and saves nothing.
func TestEditInterruptGroup(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "slow.sh", `echo "$1" > "$T/started"; exec sleep 600`+"\n")
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	done := start(t, c)
	tmp := waitFile(t, filepath.Join(f.dir, "started"), done)
	if err := syscall.Kill(-c.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := waitExit(t, done)
	// Two orders are possible, both safe: sv sees the editor die of the ^C
	// first and reports it (exit 1), or its own copy of the ^C is handled
	// after the editor is gone, and sv cleans up and dies of SIGINT.
	var ee *exec.ExitError
	switch {
	case signalOf(err) == syscall.SIGINT:
		if strings.Contains(stderr.String(), "hunter2") {
			t.Error("stderr shows the secret")
		}
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		want := "sv: error: values.yaml: the editor was stopped by interrupt\nsv: hint: your changes were not saved; values.yaml is unchanged\n"
		if stderr.String() != want {
			t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
		}
	default:
		t.Errorf("sv ended with %v, want exit status 1 or death by SIGINT", err)
	}
	assertGone(t, tmp)
	f.assertUnchanged(t)
}

// A passphrase-protected identity file without a terminal to ask on fails
// with a clear error instead of hanging.
func TestPassphraseWithoutTerminal(t *testing.T) {
	f := newSvFixture(t)
	prot := protectedKeyFile(t, f, "pw")
	c := f.command("decrypt", "values.yaml")
	c.Env = append(c.Env, "SOPS_AGE_KEY_FILE="+prot)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	c.Stdin = nil
	out, err := c.CombinedOutput()
	if err == nil {
		t.Fatalf("sv decrypt succeeded: %s", out)
	}
	want := "sv: error: values.yaml: SOPS_AGE_KEY_FILE: reading passphrase: no terminal to ask for a passphrase on\n"
	if string(out) != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// protectedKeyFile writes Alice's identity encrypted with passphrase pass
// (armored, as age -p -a does) and returns its path.
func protectedKeyFile(t *testing.T, f *svFixture, pass string) string {
	t.Helper()
	id, err := os.ReadFile(filepath.Join(testKeysDir(t), "alice.agekey"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(id)
	w.Close()
	aw.Close()
	p := filepath.Join(f.dir, "protected.age")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
