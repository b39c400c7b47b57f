//go:build unix

package helmplugin

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLocalLimits(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("big.yaml", []byte(strings.Repeat("a", 100)), 0o644)
	os.Mkdir("real", 0o755)
	os.WriteFile("real/v.yaml", []byte("a: 1\n"), 0o644)
	os.Symlink("real", "linkdir")
	if err := syscall.Mkfifo("fifo", 0o600); err != nil {
		t.Fatal(err)
	}
	s := Settings{Policy: DefaultPolicy(), MaxSize: 50}
	for path, want := range map[string]string{
		"big.yaml":  "big.yaml: larger than 50 bytes",
		"fifo":      "fifo: not a regular file",
		"/dev/zero": "/dev/zero: not a regular file",
		"real":      "real: is a directory",
	} {
		done := make(chan error, 1)
		go func() { _, err := s.ReadLocal(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ReadLocal(%s) error = %v, want %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadLocal(%s) blocked", path)
		}
	}
	if b, err := s.ReadLocal("linkdir/v.yaml"); err != nil || string(b) != "a: 1\n" {
		t.Errorf("symlinks allowed: %q, %v", b, err)
	}
	s.AllowSymlinks = false
	if _, err := s.ReadLocal("linkdir/v.yaml"); err == nil || !strings.Contains(err.Error(), "and linkdir is one") {
		t.Errorf("symlinked dir: %v", err)
	}
	if _, err := s.ReadLocal("real/../real/v.yaml"); err != nil {
		t.Errorf("no symlink: %v", err)
	}
}
