package secretfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// TextconvFile never fails: unreadable and broken files come back raw
// with a note, and the note holds no value.
func TestTextconvFile(t *testing.T) {
	keys, r := testKeys(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("a: hunter2\n"), 0o644)
	if out, note := TextconvFile(plain, false, keys); string(out) != "a: hunter2\n" || note != "" {
		t.Errorf("plain file: %q %q", out, note)
	}
	broken := filepath.Join(dir, "broken.yaml")
	src := "a: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\nsops:\n  lastmodified: x\n  mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]\n"
	os.WriteFile(broken, []byte(src), 0o644)
	if out, note := TextconvFile(broken, false, keys); string(out) != src || note == "" || strings.Contains(note, "hunter2") {
		t.Errorf("broken file: %q %q", out, note)
	}
	if out, note := TextconvFile(filepath.Join(dir, "missing.yaml"), false, keys); out != nil || !strings.Contains(note, "cannot read") {
		t.Errorf("missing file: %q %q", out, note)
	}

	mine := encryptedFile(t, dir, "mine.yaml", "a: hunter2\n", r)
	if out, note := TextconvFile(mine, false, keys); string(out) != "a: hunter2\n" || note != "" {
		t.Errorf("with the key: %q %q", out, note)
	}
	if out, note := TextconvFile(mine, true, keys); note != "" || !strings.HasPrefix(string(out), "a: <encrypted ") || strings.Contains(string(out), "hunter2") {
		t.Errorf("--mask: %q %q", out, note)
	}
	// No key that opens the file gives markers, silently.
	_, other := testKeys(t)
	theirs := encryptedFile(t, dir, "theirs.yaml", "a: hunter2\n", other)
	if out, note := TextconvFile(theirs, false, keys); note != "" || !strings.HasPrefix(string(out), "a: <encrypted ") || strings.Contains(string(out), "hunter2") {
		t.Errorf("no key: %q %q", out, note)
	}
}

// MergeFiles end to end: a rotation on theirs survives the merge, a side
// still in plaintext takes part, both sides changing keys is refused, a
// conflict names paths only, and plaintext on both sides is git's.
func TestMergeFiles(t *testing.T) {
	keys, r := testKeys(t)
	dir := t.TempDir()
	recipient, err := crypt.ParseRecipient(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func(b []byte) string {
		n++
		f := filepath.Join(dir, "v"+string(rune('a'+n))+".yaml")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	enc := func(plain string) []byte {
		res, err := yamlwalk.Encrypt([]byte(plain), yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{recipient}}, Now: time.Now()})
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
	merge := func(base, ours, theirs []byte) ([]byte, error) {
		return MergeFiles(write(base), write(ours), write(theirs), "f.yaml", time.Now(), keys)
	}
	const plain = "a: one\nb: two\n"
	base := enc(plain)
	ours := reenc(base, "a: ONE\nb: two\n")
	rotated := enc(plain) // a new data key: what a rotation produces

	out, err := merge(base, ours, rotated)
	if err != nil {
		t.Fatal(err)
	}
	if got := dec(out); string(got.Text) != "a: ONE\nb: two\n" || !bytes.Equal(got.Key, dec(rotated).Key) {
		t.Errorf("rotation on theirs lost: %q", got.Text)
	}

	// The file was first encrypted on theirs while ours edited plaintext.
	out, err = merge([]byte(plain), []byte("a: one\nb: TWO\n"), enc(plain))
	if err != nil {
		t.Fatal(err)
	}
	if got := dec(out); string(got.Text) != "a: one\nb: TWO\n" {
		t.Errorf("plaintext ours: %q", got.Text)
	}

	// Both sides changed the keys differently: a person decides.
	if _, err = merge(base, enc("a: ONE\nb: two\n"), rotated); err == nil || !strings.Contains(err.Error(), "both sides changed the file's recipients") {
		t.Errorf("both sides changed keys: %v", err)
	}

	// A conflict names the path and carries no value.
	_, err = merge(base, reenc(base, "a: left-secret\nb: two\n"), reenc(base, "a: right-secret\nb: two\n"))
	var mc *ConflictError
	if !errors.As(err, &mc) || err.Error() != "f.yaml: conflicting changes to a" {
		t.Errorf("conflict: %v", err)
	}

	if _, err := merge([]byte(plain), []byte(plain), []byte("a: 1\n")); !errors.Is(err, ErrNotEncryptedMerge) {
		t.Errorf("plaintext sides: %v, want ErrNotEncryptedMerge", err)
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
	if got, _ := MergeKeys(base, ours, rotated); got != rotated {
		t.Error("theirs' rotation not kept")
	}
	if got, _ := MergeKeys(base, added, ours); got != added {
		t.Error("ours' recipients not kept")
	}
	if got, _ := MergeKeys(base, ours, mk(1, "a")); got != ours {
		t.Error("ours not preferred when nothing changed")
	}
	if _, err := MergeKeys(base, added, rotated); err == nil {
		t.Error("both sides changing keys is not a conflict")
	}
	if got, _ := MergeKeys(base, mk(1, "b", "a"), ours); got == nil || !SameKeys(got, mk(1, "a", "b")) {
		t.Error("recipient order should not matter")
	}
	if got, _ := MergeKeys(nil, nil, ours); got != ours {
		t.Error("a plaintext ours should take theirs' keys")
	}
}
