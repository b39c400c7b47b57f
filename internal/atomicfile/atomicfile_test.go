//go:build linux

package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), tmpInfix) {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestReplaceKeepsModeAndOwner(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "v.yaml")
	write(t, f, "old\n")
	os.Chmod(f, 0o640)
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(f, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	var before syscall.Stat_t
	syscall.Stat(f, &before)
	if err := Write(f, []byte("new\n"), Options{Mode: 0o600, KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, f); got != "new\n" {
		t.Fatalf("content %q", got)
	}
	var after syscall.Stat_t
	syscall.Stat(f, &after)
	if after.Mode&0o777 != 0o640 {
		t.Errorf("mode %o, want 640", after.Mode&0o777)
	}
	if root && (after.Uid != 65534 || after.Gid != 65534) {
		t.Errorf("owner %d:%d, want 65534:65534", after.Uid, after.Gid)
	}
	if after.Ino == before.Ino {
		t.Errorf("a file with one link should be replaced, not rewritten")
	}
	noTemps(t, dir)

	// Without KeepMode the given mode wins (decrypt -o's 0600).
	if err := Write(f, []byte("x"), Options{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	// New file: Mode, whatever the umask.
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	n := filepath.Join(dir, "new.yaml")
	if err := Write(n, []byte("x"), Options{Mode: 0o644, KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(n); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "values.yaml")
	os.Mkdir(filepath.Dir(real), 0o755)
	write(t, real, "old\n")
	// link -> real/values.yaml; link2 -> link (a chain)
	os.Symlink("real/values.yaml", filepath.Join(dir, "link"))
	os.Symlink("link", filepath.Join(dir, "link2"))
	if err := Write(filepath.Join(dir, "link2"), []byte("new\n"), Options{KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, real); got != "new\n" {
		t.Fatalf("target holds %q", got)
	}
	for _, l := range []string{"link", "link2"} {
		if fi, err := os.Lstat(filepath.Join(dir, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink", l)
		}
	}
	// A relative "../" link inside a symlinked directory resolves against
	// the real directory.
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	write(t, filepath.Join(dir, "a", "f.yaml"), "old\n")
	os.Symlink("../f.yaml", filepath.Join(dir, "a", "b", "rel"))
	os.Symlink("a/b", filepath.Join(dir, "d"))
	if err := Write(filepath.Join(dir, "d", "rel"), []byte("new\n"), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "a", "f.yaml")); got != "new\n" {
		t.Fatalf("a/f.yaml holds %q", got)
	}
	// A dangling link creates its target.
	os.Symlink("made.yaml", filepath.Join(dir, "dangling"))
	if err := Write(filepath.Join(dir, "dangling"), []byte("x"), Options{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "made.yaml")); got != "x" {
		t.Fatalf("made.yaml holds %q", got)
	}
	// A loop is an error, not a hang.
	os.Symlink("loop2", filepath.Join(dir, "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "loop2"))
	if err := Write(filepath.Join(dir, "loop1"), []byte("x"), Options{}); err == nil {
		t.Fatal("symlink loop written")
	}
	noTemps(t, dir)
	noTemps(t, filepath.Dir(real))
}

func TestHardLinksStayJoined(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	write(t, a, "a long old content\n")
	if err := os.Link(a, b); err != nil {
		t.Fatal(err)
	}
	if err := Write(a, []byte("new\n"), Options{KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b); got != "new\n" {
		t.Fatalf("the other link holds %q", got)
	}
	fa, _ := os.Stat(a)
	fb, _ := os.Stat(b)
	if !os.SameFile(fa, fb) {
		t.Fatal("hard link split")
	}
}

func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	// /dev/null stays a character device.
	if err := Write("/dev/null", []byte("x"), Options{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v", fi.Mode())
	}
	// A FIFO is written into, not replaced.
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := Write(fifo, []byte("through the pipe"), Options{}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Fatalf("reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("fifo is now %v", fi.Mode())
	}
	// A directory is an error.
	if err := Write(dir, []byte("x"), Options{}); err == nil {
		t.Fatal("wrote a directory")
	}
	noTemps(t, dir)
}

func TestDescriptors(t *testing.T) {
	// /dev/fd/N of a pipe: written into the pipe.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		Write("/dev/fd/"+strconv.Itoa(int(w.Fd())), []byte("hello"), Options{})
		w.Close()
	}()
	buf := new(bytes.Buffer)
	buf.ReadFrom(r)
	if buf.String() != "hello" {
		t.Fatalf("pipe got %q", buf.String())
	}
	// A symlink to /dev/stdout in a child whose stdout is a file the
	// parent opened: the file (the same open file) gets the data.
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	f, _ := os.Create(out)
	defer f.Close()
	cmd := exec.Command(os.Args[0], "-test.run=TestHelperProcess")
	cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER=stdout")
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.Bytes())
	}
	if got := read(t, out); got != "via /dev/stdout\n" {
		t.Fatalf("stdout file holds %q", got)
	}
	noTemps(t, dir)
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ro.yaml")
	write(t, f, "old\n")
	os.Chmod(f, 0o444)
	err := Write(f, []byte("new\n"), Options{KeepMode: true})
	var ro *ReadOnlyError
	if !errors.As(err, &ro) {
		t.Fatalf("got %v, want ReadOnlyError", err)
	}
	if read(t, f) != "old\n" {
		t.Fatal("read-only file changed")
	}
	if err := Write(f, []byte("new\n"), Options{KeepMode: true, Force: true}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(f); read(t, f) != "new\n" || fi.Mode().Perm() != 0o444 {
		t.Fatalf("forced write: %q %v", read(t, f), fi.Mode())
	}
}

func TestCheckUnderLock(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "n")
	write(t, f, "0")
	changed := errors.New("changed")
	// 8 goroutines × 25 read-modify-write increments, retrying on a
	// failed check: no increment may be lost.
	var wg sync.WaitGroup
	const workers, each = 8, 25
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for {
					b, _ := os.ReadFile(f)
					n, _ := strconv.Atoi(string(b))
					err := Write(f, []byte(strconv.Itoa(n+1)), Options{KeepMode: true, Check: func(cur []byte, _ bool) error {
						if !bytes.Equal(cur, b) {
							return changed
						}
						return nil
					}})
					if err == nil {
						break
					}
					if !errors.Is(err, changed) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := read(t, f); got != strconv.Itoa(workers*each) {
		t.Fatalf("counter %s, want %d: updates lost", got, workers*each)
	}
	noTemps(t, dir)
}

func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "v.yaml")
	write(t, f, "old")
	stale := filepath.Join(dir, ".v.yaml"+tmpInfix+"123")
	fresh := filepath.Join(dir, ".v.yaml"+tmpInfix+"456")
	write(t, stale, "plaintext")
	write(t, fresh, "plaintext")
	old := time.Now().Add(-2 * StaleAge)
	os.Chtimes(stale, old, old)
	// Without the lock only old ones go.
	cleanStale(dir, "v.yaml", false)
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("recent temporary file removed without the lock")
	}
	// Under the lock, every leftover goes.
	if err := Write(f, []byte("new"), Options{KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	noTemps(t, dir)
}

// TestKillLeavesNoTemp SIGKILLs (and SIGTERMs) a child in the middle of
// writing a 16 MB file, many times: the target is always old or new; a
// SIGTERM leaves no temporary file; a SIGKILL leaves one only when it lands
// between linkat and rename, and the next write removes it.
func TestKillLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "big.yaml")
	oldData := bytes.Repeat([]byte("o"), 1<<20)
	if err := os.WriteFile(f, oldData, 0o644); err != nil {
		t.Fatal(err)
	}
	runs := 10
	if testing.Short() {
		runs = 5
	}
	inWindow := 0
	for i := range runs {
		for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
			cmd := exec.Command(os.Args[0], "-test.run=TestHelperProcess")
			cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER=write", "ATOMICFILE_TARGET="+f)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the child is about to write, then kill it at
			// varying points of the write.
			buf := make([]byte, 6)
			stdout.Read(buf)
			time.Sleep(time.Duration(i*3) * time.Millisecond)
			cmd.Process.Signal(sig)
			cmd.Wait()
			b, _ := os.ReadFile(f)
			if !bytes.Equal(b, oldData) && !(len(b) == 16<<20 && b[0] == 'n' && b[len(b)-1] == 'n') {
				t.Fatalf("run %d %v: target is neither old nor new (%d bytes)", i, sig, len(b))
			}
			if n := countTemps(dir); n > 0 {
				if sig != syscall.SIGKILL {
					t.Fatalf("run %d: %v left %d temporary file(s)", i, sig, n)
				}
				inWindow++
			}
			if err := Write(f, oldData, Options{KeepMode: true}); err != nil {
				t.Fatal(err)
			}
			noTemps(t, dir)
		}
	}
	t.Logf("%d of %d SIGKILLs landed between linkat and rename", inWindow, runs)
}

func countTemps(dir string) int {
	n := 0
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), tmpInfix) {
			n++
		}
	}
	return n
}

func TestHelperProcess(t *testing.T) {
	switch os.Getenv("ATOMICFILE_HELPER") {
	case "stdout":
		dir, _ := os.MkdirTemp("", "atomicfile")
		defer os.RemoveAll(dir)
		link := filepath.Join(dir, "out")
		os.Symlink("/dev/stdout", link)
		if err := Write(link, []byte("via /dev/stdout\n"), Options{Mode: 0o600}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "write":
		data := bytes.Repeat([]byte("n"), 16<<20)
		fmt.Print("ready\n")
		for {
			if err := Write(os.Getenv("ATOMICFILE_TARGET"), data, Options{KeepMode: true}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
}

// A writable file in a directory the process cannot create files in is
// rewritten in place (a replace would need a new file there).
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can create files in any directory")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "v.yaml")
	write(t, f, "old\n")
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	if err := Write(f, []byte("new\n"), Options{KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, f); got != "new\n" {
		t.Fatalf("content %q", got)
	}
}
