// Package fmttest gives the format packages' tests the committed test
// identities and a way to run the real sops 3.13.3 on a file.
package fmttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/tooltest"
)

// Identity is a test key: its file, recipient and a keyring holding it.
type Identity struct {
	File      string
	Recipient crypt.Recipient
	Keyring   *crypt.Keyring
}

// Load reads testdata/keys/NAME.
func Load(t testing.TB, name string) Identity {
	t.Helper()
	file := filepath.Join(tooltest.RepoRoot(t), "testdata", "keys", name)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pub string
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			pub = r
		}
	}
	r, err := crypt.ParseRecipient(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return file
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	return Identity{File: file, Recipient: r, Keyring: kr}
}

// Sops runs the real sops in dir with only keyFile's identities.
func Sops(t testing.TB, dir, keyFile string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	cmd := exec.Command(tooltest.Sops(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "PATH=" + os.Getenv("PATH")}
	if keyFile != "" {
		cmd.Env = append(cmd.Env, "SOPS_AGE_KEY_FILE="+keyFile)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
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

// ValueLinesOnly fails unless every line that differs between plain and
// enc (same number of lines up to the appended metadata) is a line holding
// one of the values, which is what lines says: it reports the line numbers
// (1-based) of plain that changed.
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
