package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestKeygenCreatesDirectories checks that 'sv keygen -o' creates the
// missing parents of its output file with mode 0700 (the README's first
// command writes to ~/.config/sops/age/keys.txt on a fresh machine), and
// still never overwrites an existing key file.
func TestKeygenCreatesDirectories(t *testing.T) {
	home := t.TempDir()
	out := filepath.Join(home, ".config", "sops", "age", "keys.txt")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sv", "keygen", "-o", out}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "Public key: age1") {
		t.Errorf("stderr %q, want the public key", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("AGE-SECRET-KEY-1")) {
		t.Errorf("key file has no identity")
	}
	if runtime.GOOS != "windows" {
		for _, d := range []string{".config", ".config/sops", ".config/sops/age"} {
			fi, err := os.Stat(filepath.Join(home, d))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o700 {
				t.Errorf("%s has mode %o, want 700", d, got)
			}
		}
		if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("keys.txt: %v, mode %v, want 600", err, fi.Mode().Perm())
		}
	}

	stderr.Reset()
	if code := run([]string{"sv", "keygen", "-o", out}, strings.NewReader(""), &stdout, &stderr); code == 0 {
		t.Fatal("second keygen into the same file succeeded")
	}
	if !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("stderr %q, want 'already exists'", stderr.String())
	}
	if b2, _ := os.ReadFile(out); !bytes.Equal(b, b2) {
		t.Error("existing key file was changed")
	}
}
