//go:build unix

package privdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A named pipe in the directory (exec-file --fifo) is removed without being
// opened: opening it for writing would wait for a reader forever.
func TestRemoveFIFO(t *testing.T) {
	old := ShmDir
	ShmDir = t.TempDir()
	defer func() { ShmDir = old }()
	d, err := New("sv-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(d.Path(), "pipe"), 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Remove() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Remove hangs on a named pipe")
	}
}

// A directory left by a dead process is removed by the next New with the
// same prefix; those of running processes, other prefixes and unnamed ones
// stay.
func TestRemoveStale(t *testing.T) {
	old := ShmDir
	ShmDir = t.TempDir()
	defer func() { ShmDir = old }()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true command")
	}
	dead := c.Process.Pid
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	mk := func(name string) string {
		d := filepath.Join(ShmDir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "values.yaml"), []byte("password: hunter2\n"), 0o600)
		return d
	}
	stale := mk("sv-exec-" + strconv.Itoa(dead) + "-1")
	keep := []string{
		mk("sv-exec-" + strconv.Itoa(live.Process.Pid) + "-1"),
		mk("sv-exec-987654321"),
		mk("sv-edit-" + strconv.Itoa(dead) + "-1"),
	}
	d, err := New("sv-exec-")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale %s still exists", stale)
	}
	for _, k := range keep {
		if _, err := os.Stat(k); err != nil {
			t.Errorf("%s was removed: %v", k, err)
		}
	}
}
