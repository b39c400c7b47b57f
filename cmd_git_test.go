package main

import (
	"bufio"
	"bytes"
	"errors"
	"github.com/sv-secrets/sv/secretfile"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

func init() {
	scriptCmds["git-nosecret"] = cmdGitNoSecret
	scriptCmds["git-pathgone"] = cmdGitPathGone
	scriptCmds["git-sameline"] = cmdGitSameLine
	scriptSetups = append(scriptSetups, func(t *testing.T, e *testscript.Env) error {
		// Keep the machine's git configuration out of the test repositories.
		e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		e.Setenv("GIT_AUTHOR_NAME", "Tester")
		e.Setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
		e.Setenv("GIT_COMMITTER_NAME", "Tester")
		e.Setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
		return nil
	})
}

// git-nosecret DIR STRING... fails if any file under DIR (outside .git) holds
// one of the strings: plaintext left behind in the work tree.
func cmdGitNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: git-nosecret DIR STRING...")
	}
	root := ts.MkAbs(args[0])
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range args[1:] {
			if bytes.Contains(b, []byte(s)) {
				ts.Fatalf("%s holds %q", p, s)
			}
		}
		return nil
	})
	ts.Check(err)
}

// git-pathgone FILE reads a path from the first line of FILE and fails if that
// path or its directory still exists.
func cmdGitPathGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: git-pathgone FILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	p := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	if p == "" || !filepath.IsAbs(p) {
		ts.Fatalf("%s does not hold an absolute path: %q", args[0], p)
	}
	for _, q := range []string{p, filepath.Dir(p)} {
		if _, err := os.Lstat(q); err == nil {
			ts.Fatalf("%s still exists", q)
		}
	}
}

// git-sameline FILE1 FILE2 PREFIX asserts that the first line starting with
// PREFIX is the same in both files (e.g. a ciphertext kept by a merge).
func cmdGitSameLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: git-sameline FILE1 FILE2 PREFIX")
	}
	line := func(f string) string {
		fh, err := os.Open(ts.MkAbs(f))
		ts.Check(err)
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), args[2]) {
				return sc.Text()
			}
		}
		ts.Fatalf("%s has no line starting with %q", f, args[2])
		return ""
	}
	if same := line(args[0]) == line(args[1]); same == neg {
		if neg {
			ts.Fatalf("the %q lines are the same", args[2])
		}
		ts.Fatalf("the %q lines differ", args[2])
	}
}

// The merge driver's key choice: theirs' keys win only when theirs alone
// changed them, so a rotation on a branch survives the merge.
func TestMergeKeys(t *testing.T) {
	mk := func(key byte, recipients ...string) *yamlwalk.Decrypted {
		var g crypt.KeyGroup
		for _, r := range recipients {
			g.Age = append(g.Age, crypt.AgeKey{Recipient: r})
		}
		return &yamlwalk.Decrypted{Key: bytes.Repeat([]byte{key}, 32), Metadata: &yamlwalk.Metadata{KeyGroups: []crypt.KeyGroup{g}}}
	}
	base := mk(1, "a")
	ours := mk(1, "a")
	rotated := mk(2, "a")
	added := mk(1, "a", "b")
	if got, _ := secretfile.MergeKeys(base, ours, rotated); got != rotated {
		t.Error("theirs' rotation not kept")
	}
	if got, _ := secretfile.MergeKeys(base, added, ours); got != added {
		t.Error("ours' recipients not kept")
	}
	if got, _ := secretfile.MergeKeys(base, ours, mk(1, "a")); got != ours {
		t.Error("ours not preferred when nothing changed")
	}
	if _, err := secretfile.MergeKeys(base, added, rotated); err == nil {
		t.Error("both sides changing keys is not a conflict")
	}
	if got, _ := secretfile.MergeKeys(base, mk(1, "b", "a"), ours); got == nil || !secretfile.SameKeys(got, mk(1, "a", "b")) {
		t.Error("recipient order should not matter")
	}
	if got, _ := secretfile.MergeKeys(nil, nil, ours); got != ours {
		t.Error("a plaintext ours should take theirs' keys")
	}
}

// textconv never fails: unreadable and broken files come back raw with a
// note, and the note holds no value.
func TestTextconvFallbacks(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("a: hunter2\n"), 0o644)
	if out, note := textconv(plain, false); string(out) != "a: hunter2\n" || note != "" {
		t.Errorf("plain file: %q %q", out, note)
	}
	broken := filepath.Join(dir, "broken.yaml")
	src := "a: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\nsops:\n  lastmodified: x\n  mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]\n"
	os.WriteFile(broken, []byte(src), 0o644)
	out, note := textconv(broken, false)
	if string(out) != src || note == "" {
		t.Errorf("broken file: %q %q", out, note)
	}
	if out, note := textconv(filepath.Join(dir, "missing.yaml"), false); out != nil || !strings.Contains(note, "cannot read") {
		t.Errorf("missing file: %q %q", out, note)
	}
	// No key that opens the file gives markers, silently.
	res, err := yamlwalk.Encrypt([]byte("a: hunter2\n"), yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{bobRecipient(t)}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(dir, "enc.yaml")
	os.WriteFile(enc, res.Out, 0o644)
	out, note = textconv(enc, false)
	if note != "" || !strings.HasPrefix(string(out), "a: <encrypted ") || strings.Contains(string(out), "hunter2") {
		t.Errorf("no key: %q %q", out, note)
	}
}

func bobRecipient(t *testing.T) crypt.Recipient {
	t.Helper()
	r, err := crypt.ParseRecipient(testRecipient(t, filepath.Join("testdata", "keys", "bob.agekey")), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mergeEncrypted end to end in memory: a rotation on theirs survives the
// merge, a side still in plaintext takes part, and both sides changing keys
// is refused.
func TestMergeEncrypted(t *testing.T) {
	keyFile, err := filepath.Abs(filepath.Join("testdata", "keys", "alice.agekey"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	alice, err := crypt.ParseRecipient(testRecipient(t, keyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := loadKeyring()
	if err != nil {
		t.Fatal(err)
	}
	enc := func(plain string) []byte {
		res, err := yamlwalk.Encrypt([]byte(plain), yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice}}, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return res.Out
	}
	dec := func(b []byte) *yamlwalk.Decrypted {
		d, err := yamlwalk.Decrypt(b, yamlwalk.DecryptOptions{Keys: kr})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	reenc := func(prev []byte, plain string) []byte {
		res, err := yamlwalk.Reencrypt([]byte(plain), dec(prev), yamlwalk.EncryptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Out
	}
	const plain = "a: one\nb: two\n"
	base := enc(plain)
	ours := reenc(base, "a: ONE\nb: two\n")
	rotated := enc(plain) // a new data key: what a rotation produces

	out, err := mergeEncrypted("f.yaml", base, ours, rotated, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := dec(out)
	if string(got.Text) != "a: ONE\nb: two\n" || !bytes.Equal(got.Key, dec(rotated).Key) {
		t.Errorf("rotation on theirs lost: %q", got.Text)
	}

	// The file was first encrypted on theirs while ours edited plaintext.
	out, err = mergeEncrypted("f.yaml", []byte(plain), []byte("a: one\nb: TWO\n"), enc(plain), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := dec(out); string(got.Text) != "a: one\nb: TWO\n" {
		t.Errorf("plaintext ours: %q", got.Text)
	}

	// Both sides changed the keys differently: a person decides.
	_, err = mergeEncrypted("f.yaml", base, enc("a: ONE\nb: two\n"), rotated, time.Now())
	if err == nil || !strings.Contains(err.Error(), "both sides changed the file's recipients") {
		t.Errorf("got %v", err)
	}

	// A conflict names the path and carries no value.
	_, err = mergeEncrypted("f.yaml", base, reenc(base, "a: left-secret\nb: two\n"), reenc(base, "a: right-secret\nb: two\n"), time.Now())
	var mc *secretfile.ConflictError
	if !errors.As(err, &mc) || err.Error() != "f.yaml: conflicting changes to a" {
		t.Errorf("got %v", err)
	}
}
