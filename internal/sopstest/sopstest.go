// Package sopstest gives tests the committed test identities of
// testdata/keys and a way to run the real sops 3.13.3 (pinned in tools/)
// with only one of them: the two things every interop test needs, whatever
// store it tests.
package sopstest

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

// Load reads testdata/keys/NAME (an age identity file with its
// "# public key:" line).
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

// Sops runs the real sops in dir with only keyFile's identities (none if
// keyFile is empty): HOME is dir, so no key or config of the machine's
// user is seen.
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
