package crypt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// envOf builds an Env from a map of variables.
func envOf(vars map[string]string) Env {
	return Env{Getenv: func(k string) string { return vars[k] }}
}

// wrapped wraps a fresh data key for r and returns the key group holding it.
func wrapped(t *testing.T, r age.Recipient, name string) ([]byte, []KeyGroup) {
	t.Helper()
	key, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := WrapKeyGroups(key, [][]Recipient{{{String: name, Recipient: r}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return key, groups
}

// protectedIdentityFile writes id to a file encrypted with passphrase pass,
// armored or not, as `age -p` does.
func protectedIdentityFile(t *testing.T, id *age.X25519Identity, pass string, armored bool) string {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10) // fast for tests
	var buf bytes.Buffer
	var w io.Writer = &buf
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&buf)
		w = aw
	}
	ew, err := age.Encrypt(w, r)
	if err != nil {
		t.Fatal(err)
	}
	ew.Write([]byte("# created: test\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"))
	if err := ew.Close(); err != nil {
		t.Fatal(err)
	}
	if aw != nil {
		aw.Close()
	}
	f := filepath.Join(t.TempDir(), "keys.age")
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPassphraseProtectedIdentityFile(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	want, groups := wrapped(t, id.Recipient(), id.Recipient().String())
	for _, armored := range []bool{false, true} {
		f := protectedIdentityFile(t, id, "correct horse", armored)
		asked := 0
		env := envOf(map[string]string{"SOPS_AGE_KEY_FILE": f})
		env.Passphrase = func(prompt string) ([]byte, error) {
			asked++
			if !strings.Contains(prompt, f) {
				t.Errorf("prompt %q does not name the file", prompt)
			}
			return []byte("correct horse"), nil
		}
		kr, err := LoadKeyring(env)
		if err != nil {
			t.Fatalf("armored=%v: %v", armored, err)
		}
		got, err := kr.DataKey(groups, 0)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("armored=%v: DataKey: %v", armored, err)
		}
		if asked != 1 {
			t.Errorf("asked for the passphrase %d times", asked)
		}

		// A wrong passphrase and no way to ask are clear errors.
		env.Passphrase = func(string) ([]byte, error) { return []byte("wrong"), nil }
		if _, err := LoadKeyring(env); err == nil || !strings.Contains(err.Error(), "SOPS_AGE_KEY_FILE: decrypting identity file") {
			t.Errorf("wrong passphrase: %v", err)
		}
		env.Passphrase = nil
		_, err = LoadKeyring(env)
		if err == nil || !strings.Contains(err.Error(), "passphrase-protected and there is no terminal") {
			t.Errorf("no terminal: %v", err)
		}
		env.Passphrase = func(string) ([]byte, error) { return nil, errors.New("no terminal to ask for a passphrase on") }
		if _, err := LoadKeyring(env); err == nil || !strings.Contains(err.Error(), "reading passphrase: no terminal") {
			t.Errorf("prompt failure: %v", err)
		}
	}
}

func TestDefaultKeysFileMayBeProtected(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	want, groups := wrapped(t, id.Recipient(), id.Recipient().String())
	f := protectedIdentityFile(t, id, "pw", true)
	cfg := t.TempDir()
	os.MkdirAll(filepath.Join(cfg, "sops", "age"), 0o700)
	b, _ := os.ReadFile(f)
	os.WriteFile(filepath.Join(cfg, "sops", "age", "keys.txt"), b, 0o600)
	env := envOf(nil)
	env.ConfigDir = cfg
	env.Passphrase = func(string) ([]byte, error) { return []byte("pw"), nil }
	kr, err := LoadKeyring(env)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.DataKey(groups, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("DataKey: %v", err)
	}
}

func sshKeyPair(t *testing.T, pass string) (pemBytes []byte, pub string) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if pass == "" {
		block, err = ssh.MarshalPrivateKey(sk, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(sk, "test", []byte(pass))
	}
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func TestSSHKeys(t *testing.T) {
	plainPEM, plainPub := sshKeyPair(t, "")
	encPEM, encPub := sshKeyPair(t, "ssh-pass")
	dir := t.TempDir()
	plainFile, encFile := filepath.Join(dir, "id_plain"), filepath.Join(dir, "id_enc")
	os.WriteFile(plainFile, plainPEM, 0o600)
	os.WriteFile(encFile, encPEM, 0o600)

	for _, c := range []struct {
		name, file, pub string
		pass            func(string) ([]byte, error)
		wantErr         string
	}{
		{"plain", plainFile, plainPub, nil, ""},
		{"protected", encFile, encPub, func(string) ([]byte, error) { return []byte("ssh-pass"), nil }, ""},
		{"protected, no terminal", encFile, encPub, nil, "no terminal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseRecipient(c.pub, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, groups := wrapped(t, r.Recipient, c.pub)
			env := envOf(map[string]string{"SOPS_AGE_SSH_PRIVATE_KEY_FILE": c.file})
			env.Passphrase = c.pass
			kr, err := LoadKeyring(env)
			if err != nil {
				t.Fatal(err)
			}
			got, err := kr.DataKey(groups, 0)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("DataKey: %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("DataKey: %v", err)
			}
		})
	}

	// ~/.ssh/id_ed25519 is read when it exists.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), plainPEM, 0o600)
	r, _ := ParseRecipient(plainPub, nil)
	want, groups := wrapped(t, r.Recipient, plainPub)
	env := envOf(nil)
	env.Home = home
	kr, err := LoadKeyring(env)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.DataKey(groups, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("default ssh key: %v", err)
	}
}

func TestKeyCmd(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	id, _ := age.GenerateX25519Identity()
	rs := id.Recipient().String()
	want, groups := wrapped(t, id.Recipient(), rs)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	log := filepath.Join(dir, "log")
	script := filepath.Join(dir, "cmd.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$SOPS_AGE_RECIPIENT\" >> '"+log+"'\ncat '"+keyFile+"'\n"), 0o700)
	kr, err := LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY_CMD": "sh '" + script + "'"}))
	if err != nil {
		t.Fatal(err)
	}
	if kr.Empty() {
		t.Fatal("a keyring with SOPS_AGE_KEY_CMD is not empty")
	}
	for i := 0; i < 2; i++ {
		got, err := kr.DataKey(groups, 0)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("DataKey: %v", err)
		}
	}
	b, _ := os.ReadFile(log)
	if string(b) != rs+"\n" {
		t.Errorf("the command ran with SOPS_AGE_RECIPIENT lines %q, want once with %s", b, rs)
	}

	kr, _ = LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY_CMD": "sh -c 'echo AGE-SECRET-KEY-1NOTAKEY; exit 0'"}))
	_, err = kr.DataKey(groups, 0)
	if err == nil || !strings.Contains(err.Error(), "SOPS_AGE_KEY_CMD output: line 1: malformed age identity") || strings.Contains(err.Error(), "NOTAKEY") {
		t.Errorf("bad command output: %v", err)
	}
	kr, _ = LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY_CMD": "sh -c 'exit 7'"}))
	if _, err = kr.DataKey(groups, 0); err == nil || !strings.Contains(err.Error(), "SOPS_AGE_KEY_CMD failed: exit status 7") {
		t.Errorf("failing command: %v", err)
	}
	// Split like sops (github.com/google/shlex): an unclosed quote is an
	// error, not a guess.
	kr, _ = LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY_CMD": "sh -c 'exit 0"}))
	if _, err = kr.DataKey(groups, 0); err == nil || !strings.Contains(err.Error(), "SOPS_AGE_KEY_CMD: cannot split it into words") {
		t.Errorf("unclosed quote: %v", err)
	}
}

func TestIdentityLines(t *testing.T) {
	a, _ := age.GenerateX25519Identity()
	b, _ := age.GenerateHybridIdentity()
	kr, err := LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY": "  " + a.String() + " \n\t" + b.String() + " "}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []age.Recipient{a.Recipient(), b.Recipient()} {
		want, groups := wrapped(t, r, "r")
		if got, err := kr.DataKey(groups, 0); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("DataKey: %v", err)
		}
	}
	// Errors name the line, never the key material.
	secret := "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
	_, err = LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY": a.String() + " " + secret}))
	if err == nil || strings.Contains(err.Error(), "QQQQ") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad identity: %v", err)
	}
	_, err = LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY": "hunter2"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("not an identity: %v", err)
	}
}

func TestPluginIdentityLines(t *testing.T) {
	line := plugin.EncodeIdentity("yubikey", []byte("slot data"))
	if _, err := ParseIdentity(line, nil); err == nil || !strings.Contains(err.Error(), "age plugins are not available") {
		t.Errorf("plugin identity without a UI: %v", err)
	}
	ui := &plugin.ClientUI{}
	id, err := ParseIdentity(line, ui)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := id.(*plugin.Identity); !ok || p.Name() != "yubikey" {
		t.Errorf("ParseIdentity(%s) = %T", line, id)
	}
	if _, err := ParseIdentity("AGE-PLUGIN-YUBIKEY-1NOTBECH32!", ui); err == nil {
		t.Error("malformed plugin identity accepted")
	}
	r, err := ParseRecipient(plugin.EncodeRecipient("yubikey", []byte("pub")), ui)
	if err != nil || r.PostQuantum() {
		t.Errorf("plugin recipient: %v (post-quantum %v)", err, r.PostQuantum())
	}
	if _, err := ParseRecipient(plugin.EncodeRecipient("yubikey", []byte("pub")), nil); err == nil || !strings.Contains(err.Error(), "needs an age plugin") {
		t.Errorf("plugin recipient without a UI: %v", err)
	}
}

// TestKeyCmdOncePerProcess: a file with many recipient stanzas (anyone can
// add stanzas) runs SOPS_AGE_KEY_CMD once, not once per stanza, and so do
// later keyrings of the same process.
func TestKeyCmdOncePerProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	id, _ := age.GenerateX25519Identity()
	var rs []Recipient
	for range 200 {
		other, _ := age.GenerateX25519Identity()
		rs = append(rs, Recipient{String: other.Recipient().String(), Recipient: other.Recipient()})
	}
	rs = append(rs, Recipient{String: id.Recipient().String(), Recipient: id.Recipient()})
	key, _ := NewDataKey()
	groups, err := WrapKeyGroups(key, [][]Recipient{rs}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	log := filepath.Join(dir, "log")
	script := filepath.Join(dir, "once.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho run >> '"+log+"'\ncat '"+keyFile+"'\n"), 0o700)
	for range 3 {
		kr, err := LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY_CMD": "sh '" + script + "'"}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := kr.DataKey(groups, 0)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("DataKey: %v", err)
		}
	}
	b, _ := os.ReadFile(log)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Fatalf("SOPS_AGE_KEY_CMD ran %d times, want once", n)
	}
}

// TestLoadKeyringNoCoreDumps: once identities may be in memory, the process
// is not dumpable (Linux).
func TestLoadKeyringNoCoreDumps(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("PR_SET_DUMPABLE is Linux only")
	}
	id, _ := age.GenerateX25519Identity()
	if _, err := LoadKeyring(envOf(map[string]string{"SOPS_AGE_KEY": id.String()})); err != nil {
		t.Fatal(err)
	}
	if Dumpable() {
		t.Fatal("the process is still dumpable after loading identities")
	}
}
