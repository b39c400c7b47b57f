package editor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/privdir"
)

func needSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil || runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
}

func TestSessionPrivateFile(t *testing.T) {
	s, err := New("deploy/values.prod.yaml", []byte("a: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(s.Path()) != "values.prod.yaml" || filepath.Dir(s.Path()) != s.Dir() {
		t.Errorf("path %s: want values.prod.yaml in %s", s.Path(), s.Dir())
	}
	if fi, err := os.Stat(privdir.ShmDir); err == nil && fi.IsDir() && !strings.HasPrefix(s.Dir(), privdir.ShmDir+"/") {
		t.Errorf("dir %s is not on %s", s.Dir(), privdir.ShmDir)
	}
	if runtime.GOOS != "windows" {
		di, _ := os.Stat(s.Dir())
		fi, _ := os.Stat(s.Path())
		if di.Mode().Perm() != 0o700 || fi.Mode().Perm() != 0o600 {
			t.Errorf("modes: dir %v file %v, want 0700 and 0600", di.Mode().Perm(), fi.Mode().Perm())
		}
	}
	if b, err := s.Read(); err != nil || string(b) != "a: 1\n" {
		t.Errorf("Read = %q, %v", b, err)
	}
	// Editors leave swap and backup files next to the file: all go.
	os.WriteFile(filepath.Join(s.Dir(), ".values.prod.yaml.swp"), []byte("x"), 0o600)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close", s.Dir())
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSessionFallsBackToTempDir(t *testing.T) {
	old := privdir.ShmDir
	privdir.ShmDir = filepath.Join(t.TempDir(), "no-shm")
	defer func() { privdir.ShmDir = old }()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s, err := New("x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if runtime.GOOS != "windows" && filepath.Dir(s.Dir()) != tmp {
		t.Errorf("dir %s not in TMPDIR %s", s.Dir(), tmp)
	}
}

func TestRun(t *testing.T) {
	needSh(t)
	s, err := New("v.yaml", []byte("a: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The editor gets its own arguments, then the file.
	err = s.Run([]string{"sh", "-c", `[ "$1" = flag ] && printf 'a: 2\n' > "$2"`, "sh", "flag"}, nil, os.Stdout, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Read(); string(b) != "a: 2\n" {
		t.Errorf("after the editor: %q", b)
	}

	var ee *ExitError
	err = s.Run([]string{"sh", "-c", "exit 3"}, nil, nil, nil)
	if !errors.As(err, &ee) || ee.Code != 3 || err.Error() != "the editor exited with status 3" {
		t.Errorf("failing editor: %v", err)
	}
	err = s.Run([]string{"sh", "-c", "kill -INT $$"}, nil, nil, nil)
	if !errors.As(err, &ee) || ee.Signal == nil || !strings.Contains(err.Error(), "stopped by interrupt") {
		t.Errorf("editor killed by SIGINT: %v", err)
	}
	err = s.Run([]string{"sv-no-such-editor"}, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `editor "sv-no-such-editor" not found`) {
		t.Errorf("missing editor: %v", err)
	}
	if err := s.Run(nil, nil, nil, nil); err == nil {
		t.Error("empty editor command accepted")
	}
	err = s.Run([]string{"sh", "-c", `rm "$1"`, "sh"}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(); err == nil || !strings.Contains(err.Error(), "removed the temporary file") {
		t.Errorf("Read of a removed file: %v", err)
	}
}
