//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyProc is sv running on a pseudo-terminal, as a user would run it: the
// terminal is its stdin, stdout, stderr and controlling terminal (so
// /dev/tty works).
type ptyProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan error
}

func startOnPTY(t *testing.T, c *exec.Cmd) *ptyProc {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	p := &ptyProc{t: t, cmd: c, master: master, done: make(chan error, 1)}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { p.done <- c.Wait() }()
	t.Cleanup(func() {
		c.Process.Kill()
		master.Close()
	})
	return p
}

// expect waits until the terminal output matches re.
func (p *ptyProc) expect(re string) {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		p.mu.Lock()
		ok := rx.Match(p.out.Bytes())
		p.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("timed out waiting for %q; terminal shows:\n%s", re, p.output())
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(p.out.String(), "\r\n", "\n")
}

func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *ptyProc) wait() error {
	p.t.Helper()
	err := waitExit(p.t, p.done)
	// Let the reader drain what is left.
	time.Sleep(50 * time.Millisecond)
	return err
}

// The passphrase of a protected identity file is asked on the terminal,
// not echoed, and never shown.
func TestPassphrasePrompt(t *testing.T) {
	f := newSvFixture(t)
	prot := protectedKeyFile(t, f, "open sesame")
	c := f.command("decrypt", "values.yaml")
	c.Env = append(c.Env, "SOPS_AGE_KEY_FILE="+prot)
	p := startOnPTY(t, c)
	p.expect(`Enter passphrase for identity file ".*protected.age":`)
	p.send("open sesame\r")
	p.expect(`password: hunter2`)
	if err := p.wait(); err != nil {
		t.Fatalf("sv decrypt: %v\n%s", err, p.output())
	}
	if strings.Contains(p.output(), "open sesame") {
		t.Error("the passphrase was echoed")
	}

	c = f.command("decrypt", "values.yaml")
	c.Env = append(c.Env, "SOPS_AGE_KEY_FILE="+prot)
	p = startOnPTY(t, c)
	p.expect(`Enter passphrase`)
	p.send("wrong guess\r")
	p.expect(`sv: error: values.yaml: SOPS_AGE_KEY_FILE: decrypting identity file: .*incorrect passphrase`)
	if err := p.wait(); err == nil {
		t.Fatal("a wrong passphrase worked")
	}
	if strings.Contains(p.output(), "hunter2") || strings.Contains(p.output(), "wrong guess") {
		t.Errorf("terminal shows a secret:\n%s", p.output())
	}
}

// Invalid YAML on a terminal: sv shows the error and reopens the editor on
// Enter, with the text as the user left it.
func TestEditReopen(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "ed.sh", `
n=$(cat "$T/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$T/count"
echo "$1" > "$T/path"
if [ $n = 1 ]; then printf 'oops: [\n' >> "$1"; else sed -i -e 's/hunter2/fixed/' -e '/^oops/d' "$1"; fi
`)
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	p := startOnPTY(t, c)
	p.expect(`sv: error: values.yaml: line \d+: invalid YAML: .*\n.*press Enter to reopen the editor`)
	p.send("\r")
	p.expect(`sv: values.yaml: saved, 1 value\(s\) with new ciphertext`)
	if err := p.wait(); err != nil {
		t.Fatalf("sv edit: %v\n%s", err, p.output())
	}
	tmp, _ := os.ReadFile(filepath.Join(f.dir, "path"))
	assertGone(t, strings.TrimSpace(string(tmp)))
	out, err := f.command("decrypt", "values.yaml").Output()
	if err != nil || !strings.Contains(string(out), "password: fixed") {
		t.Errorf("after the edit: %s, %v", out, err)
	}

	// Declining keeps the original.
	f = newSvFixture(t)
	ed = f.editor(t, "ed.sh", `echo "$1" > "$T/path"; printf 'oops: [\n' >> "$1"`+"\n")
	c = f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	p = startOnPTY(t, c)
	p.expect(`press Enter to reopen the editor`)
	p.send("n\r")
	p.expect(`sv: hint: your changes were not saved; values.yaml is unchanged`)
	if err := p.wait(); err == nil {
		t.Fatal("sv edit succeeded after declining")
	}
	f.assertUnchanged(t)
	tmp, _ = os.ReadFile(filepath.Join(f.dir, "path"))
	assertGone(t, strings.TrimSpace(string(tmp)))
}

// SIGTERM while sv waits at the reopen question: the plaintext goes too.
func TestEditSIGTERMAtPrompt(t *testing.T) {
	f := newSvFixture(t)
	ed := f.editor(t, "ed.sh", `echo "$1" > "$T/path"; printf 'oops: [\n' >> "$1"`+"\n")
	c := f.command("edit", "values.yaml")
	c.Env = append(c.Env, "EDITOR="+ed)
	p := startOnPTY(t, c)
	p.expect(`press Enter to reopen the editor`)
	tmp, _ := os.ReadFile(filepath.Join(f.dir, "path"))
	if _, err := os.Stat(strings.TrimSpace(string(tmp))); err != nil {
		t.Fatalf("the temporary file should still exist at the prompt: %v", err)
	}
	c.Process.Signal(syscall.SIGTERM)
	err := p.wait()
	if sig := signalOf(err); sig != syscall.SIGTERM {
		t.Errorf("sv ended with %v, want death by SIGTERM", err)
	}
	assertGone(t, strings.TrimSpace(string(tmp)))
	f.assertUnchanged(t)
}

// updatekeys asks before changing who can read files.
func TestUpdatekeysConfirm(t *testing.T) {
	f := newSvFixture(t)
	bob := testRecipient(t, filepath.Join(testKeysDir(t), "bob.agekey"))
	alice := testRecipient(t, filepath.Join(testKeysDir(t), "alice.agekey"))
	os.WriteFile(filepath.Join(f.dir, ".sops.yaml"), []byte("creation_rules:\n  - age: "+alice+","+bob+"\n"), 0o644)

	p := startOnPTY(t, f.command("updatekeys", "values.yaml"))
	p.expect(`values.yaml: add ` + bob + `\s+sv: update the recipients of 1 file\(s\)\? \[y/N\] `)
	p.send("n\r")
	if err := p.wait(); err == nil {
		t.Fatal("updatekeys went ahead after n")
	}
	f.assertUnchanged(t)

	p = startOnPTY(t, f.command("updatekeys", "values.yaml"))
	p.expect(`\[y/N\] `)
	p.send("y\r")
	p.expect(`recipients updated \(1 added, 0 removed\)`)
	if err := p.wait(); err != nil {
		t.Fatalf("updatekeys: %v\n%s", err, p.output())
	}
	b, _ := os.ReadFile(f.file)
	if !strings.Contains(string(b), "recipient: "+bob) {
		t.Error("bob was not added")
	}
}

// sv set FILE PATH - on a terminal asks for the value without echoing it.
func TestSetPromptsOnTerminal(t *testing.T) {
	f := newSvFixture(t)
	p := startOnPTY(t, f.command("set", "values.yaml", "db.password", "-"))
	p.expect(`sv: value for db.password \(not shown; end with Enter\): `)
	p.send("typed s3cret\r")
	p.expect(`sv: values.yaml: set db.password`)
	if err := p.wait(); err != nil {
		t.Fatalf("sv set: %v\n%s", err, p.output())
	}
	if strings.Contains(p.output(), "s3cret") {
		t.Error("the value was echoed")
	}
	out, err := f.command("decrypt", "values.yaml").Output()
	if err != nil || !strings.Contains(string(out), "password: typed s3cret\n") {
		t.Errorf("after set: %s, %v", out, err)
	}
}
