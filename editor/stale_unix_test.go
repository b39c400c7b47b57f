//go:build unix

package editor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/privdir"
)

// A session directory left by a process that could not clean up (SIGKILL)
// is removed when the next session starts; directories of running
// processes, of other programs and older unnamed ones stay.
func TestStaleDirsRemoved(t *testing.T) {
	old := privdir.ShmDir
	privdir.ShmDir = t.TempDir()
	defer func() { privdir.ShmDir = old }()

	// A pid that is certainly gone: a child that has exited and been
	// waited for.
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true command")
	}
	dead := c.Process.Pid
	// A pid that certainly runs.
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()

	mk := func(name string) string {
		d := filepath.Join(privdir.ShmDir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "values.yaml"), []byte("password: hunter2\n"), 0o600)
		os.WriteFile(filepath.Join(d, ".values.yaml.swp"), []byte("hunter2"), 0o600)
		return d
	}
	stale := mk("sv-edit-" + strconv.Itoa(dead) + "-123456")
	running := mk("sv-edit-" + strconv.Itoa(live.Process.Pid) + "-123456")
	unnamed := mk("sv-edit-987654321")
	other := mk("not-sv-" + strconv.Itoa(dead) + "-1")

	s, err := New("values.yaml", []byte("a: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(filepath.Base(s.Dir()), "sv-edit-"+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("session dir %s is not named after the process", s.Dir())
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale %s still exists", stale)
	}
	for _, d := range []string{running, unnamed, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	// A second session of the same (live) process leaves the first alone.
	s2, err := New("other.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := os.Stat(s.Dir()); err != nil {
		t.Errorf("the first session's directory was removed: %v", err)
	}
}
