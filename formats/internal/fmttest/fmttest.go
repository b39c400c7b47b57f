// Package fmttest gives the format packages' tests the committed test
// identities, a way to run the real sops 3.13.3 on a file, and what their
// interop and fuzz tests share.
package fmttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/sopstest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Identity is a test key: its file, recipient and a keyring holding it
// (sopstest's), with the options the stores' tests use.
type Identity struct{ sopstest.Identity }

// Load reads testdata/keys/NAME.
func Load(t testing.TB, name string) Identity {
	t.Helper()
	return Identity{sopstest.Load(t, name)}
}

// EncryptOpts are the options to encrypt a new file to id alone, now.
func (id Identity) EncryptOpts() yamlwalk.EncryptOptions {
	return yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{id.Recipient}}, Keys: id.Keyring, Now: time.Now()}
}

// DecryptOpts are the options to decrypt with id's keyring.
func (id Identity) DecryptOpts() yamlwalk.DecryptOptions {
	return yamlwalk.DecryptOptions{Keys: id.Keyring}
}

// Sops runs the real sops in dir with only keyFile's identities.
func Sops(t testing.TB, dir, keyFile string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	return sopstest.Sops(t, dir, keyFile, args...)
}

// SopsFile writes b to dir/name (its extension tells sops the format)
// and runs MustSops with args and that path last.
func SopsFile(t testing.TB, dir, keyFile, name string, b []byte, args ...string) []byte {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return MustSops(t, dir, keyFile, append(args, file)...)
}

// SopsEncrypt is sops's encryption of plain, written as dir/name, to id.
func (id Identity) SopsEncrypt(t testing.TB, dir, name string, plain []byte) []byte {
	t.Helper()
	return SopsFile(t, dir, id.File, name, plain, "encrypt", "--age", id.Recipient.String)
}

// SopsDecrypt is sops's decryption of enc, written as dir/name, with id.
func (id Identity) SopsDecrypt(t testing.TB, dir, name string, enc []byte) []byte {
	t.Helper()
	return SopsFile(t, dir, id.File, name, enc, "decrypt")
}

// MustSops is Sops that fails the test on an error.
func MustSops(t testing.TB, dir, keyFile string, args ...string) []byte {
	t.Helper()
	out, errOut, err := Sops(t, dir, keyFile, args...)
	if err != nil {
		t.Fatalf("sops %v: %v\n%s", args, err, errOut)
	}
	return out
}

// ChangedLines compares plain with enc, its encryption, line by line (the
// same lines up to the appended metadata): it returns the line numbers
// (1-based) of plain that changed and how many lines enc has more.
func ChangedLines(plain, enc []byte) (changed []int, extra int) {
	pl := strings.Split(string(plain), "\n")
	el := strings.Split(string(enc), "\n")
	for i := range pl {
		if i >= len(el) {
			break
		}
		if pl[i] != el[i] {
			changed = append(changed, i+1)
		}
	}
	return changed, len(el) - len(pl)
}

// Mask hides what differs between two encryptions of one file, so that
// sv's and sops's can be compared: ciphertexts and wrapped keys (a line
// from "ENC[" or "-----BEGIN" on) and the time (a line holding
// lastModified, the store's spelling of the key, becomes that).
func Mask(b []byte, lastModified string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.Index(l, "ENC["); i >= 0 {
			l = l[:i]
		}
		if i := strings.Index(l, "-----BEGIN"); i >= 0 {
			l = l[:i]
		}
		if strings.Contains(l, lastModified) {
			l = lastModified
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// FixedKeys opens every file with one identity, wherever it is listed.
type FixedKeys struct{ ID *age.X25519Identity }

// DataKey unwraps the first age key of the first group.
func (k FixedKeys) DataKey(groups []crypt.KeyGroup, _ int) ([]byte, error) {
	return crypt.Unwrap(groups[0].Age[0].Enc, []age.Identity{k.ID})
}

// FuzzOpts are the options a fuzz test encrypts with: a fresh identity, a
// fixed time, and Keys opening files with that identity (also the key
// source to decrypt with).
func FuzzOpts(f *testing.F) yamlwalk.EncryptOptions {
	f.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		f.Fatal(err)
	}
	return yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Keys: FixedKeys{id}, Now: time.Unix(1e9, 0)}
}

// Seeds reads the files matching pattern (the package's test files), for
// a fuzz test's corpus.
func Seeds(pattern string) [][]byte {
	files, _ := filepath.Glob(pattern)
	var out [][]byte
	for _, file := range files {
		b, _ := os.ReadFile(file)
		out = append(out, b)
	}
	return out
}

// CheckFaithful fails a fuzz case whose encrypt said its own output was
// unfaithful, and reports whether the encrypt succeeded (other errors are
// inputs refused).
func CheckFaithful(t *testing.T, err error) bool {
	t.Helper()
	if _, ok := err.(*yamlwalk.ErrUnfaithful); ok {
		t.Fatalf("unfaithful: %v", err)
	}
	return err == nil
}
