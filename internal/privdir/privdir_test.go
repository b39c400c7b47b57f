package privdir

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestNewOnShm(t *testing.T) {
	old := ShmDir
	ShmDir = t.TempDir()
	defer func() { ShmDir = old }()
	d, err := New("sv-test-")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(d.Path()) != ShmDir {
		t.Errorf("%s is not in %s", d.Path(), ShmDir)
	}
	if !strings.HasPrefix(filepath.Base(d.Path()), "sv-test-"+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("%s is not named after the process", d.Path())
	}
	if fi, err := os.Stat(d.Path()); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("mode: %v, %v", fi, err)
	}
	p := filepath.Join(d.Path(), "values.yaml")
	os.WriteFile(p, []byte("password: hunter2\n"), 0o600)
	// Keep a handle: after Remove, the file it still reaches holds zeros.
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !os.IsNotExist(err) {
		t.Errorf("%s still exists", d.Path())
	}
	b := make([]byte, 64)
	n, _ := f.Read(b)
	if strings.Contains(string(b[:n]), "hunter2") {
		t.Errorf("the file was not overwritten: %q", b[:n])
	}
}

func TestFallsBackToTempDir(t *testing.T) {
	old := ShmDir
	ShmDir = filepath.Join(t.TempDir(), "no-shm")
	defer func() { ShmDir = old }()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	d, err := New("sv-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	if runtime.GOOS != "windows" && filepath.Dir(d.Path()) != tmp {
		t.Errorf("dir %s not in TMPDIR %s", d.Path(), tmp)
	}
}
