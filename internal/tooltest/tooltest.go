// Package tooltest gives tests the paths of real third-party command-line
// tools (sops, age, age-keygen, and later helm) pinned as Go tools in
// separate modfiles under the repository's tools/ directory.
//
// The binaries are built with `go tool -modfile=<modfile> -n <name>`, which
// builds the tool if needed, stores the executable in the Go build cache and
// prints its path there without running it. Re-runs of `go test` therefore
// only pay for an up-to-date check (well under a second); the first build of
// sops on a cold machine takes a few minutes. The Go build cache is safe for
// concurrent use by several processes, so test binaries of different
// packages may ask for the same tool at the same time.
//
// This package uses only the standard library.
package tooltest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// ToolsModfile is the modfile, relative to the repository root, that pins
// sops, age and age-keygen.
const ToolsModfile = "tools/go.mod"

// startDir is the working directory of the test process when it started.
// `go test` runs each test binary in its package's source directory, so the
// repository root is found by walking up from here. It is captured at
// package initialisation so that tests calling t.Chdir do not affect it.
var startDir, startDirErr = os.Getwd()

// Sops returns the absolute path of a sops executable (v3.13.3) built from
// tools/go.mod. It calls t.Fatal if the tool cannot be built.
func Sops(t testing.TB) string {
	t.Helper()
	return Tool(t, ToolsModfile, "sops")
}

// Age returns the absolute path of an age executable built from
// tools/go.mod. It calls t.Fatal if the tool cannot be built.
func Age(t testing.TB) string {
	t.Helper()
	return Tool(t, ToolsModfile, "age")
}

// AgeKeygen returns the absolute path of an age-keygen executable built from
// tools/go.mod. It calls t.Fatal if the tool cannot be built.
func AgeKeygen(t testing.TB) string {
	t.Helper()
	return Tool(t, ToolsModfile, "age-keygen")
}

// RepoRoot returns the absolute path of the repository root: the nearest
// directory, starting from the test process's initial working directory and
// walking up, that contains tools/go.mod. It calls t.Fatal if there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("tooltest: %v", err)
	}
	return root
}

func repoRoot() (string, error) {
	if startDirErr != nil {
		return "", fmt.Errorf("getting working directory: %w", startDirErr)
	}
	marker := filepath.FromSlash(ToolsModfile)
	for dir := startDir; ; {
		if fi, err := os.Stat(filepath.Join(dir, marker)); err == nil && fi.Mode().IsRegular() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s found in %s or any parent directory", ToolsModfile, startDir)
		}
		dir = parent
	}
}

// buildResult is the outcome of building one tool, shared by all callers in
// this process.
type buildResult struct {
	once sync.Once
	path string
	err  error
}

var (
	mu     sync.Mutex
	builds = map[string]*buildResult{} // key: absolute modfile + "\x00" + name
)

// Tool returns the absolute path of the executable for the tool name declared
// by a `tool` directive in modfile. modfile is a slash-separated path relative
// to the repository root (see RepoRoot), such as "tools/helm3/go.mod"; an
// absolute path is used as is. name is what `go tool` accepts: the last
// element of the tool's package path (e.g. "sops") or the full package path.
//
// The tool is built for the host at most once per test process and the
// executable lives in the Go build cache, so later `go test` runs reuse it.
// The first build may take minutes. If the build fails, Tool calls t.Fatalf
// with the go command's output; it never skips. Tool is safe for concurrent
// use, including from parallel tests and from other processes.
//
// Callers must not modify or delete the returned file.
func Tool(t testing.TB, modfile, name string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("tooltest: %v", err)
	}
	mf := filepath.FromSlash(modfile)
	if !filepath.IsAbs(mf) {
		mf = filepath.Join(root, mf)
	}

	key := mf + "\x00" + name
	mu.Lock()
	r, ok := builds[key]
	if !ok {
		r = &buildResult{}
		builds[key] = r
	}
	mu.Unlock()

	r.once.Do(func() { r.path, r.err = build(mf, name) })
	if r.err != nil {
		t.Fatalf("tooltest: building %s from %s: %v", name, mf, r.err)
	}
	return r.path
}

// build runs `go tool -modfile=mf -n name` in mf's directory and returns the
// executable path it prints.
func build(mf, name string) (string, error) {
	if _, err := os.Stat(mf); err != nil {
		return "", err
	}
	// `go test` puts $GOROOT/bin first in the test's PATH, so this is the go
	// command that is running the tests.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(goCmd, "tool", "-modfile="+mf, "-n", name)
	// Run inside the tools module so that a half-edited go.mod of the main
	// module cannot interfere.
	cmd.Dir = filepath.Dir(mf)
	cmd.Env = append(os.Environ(),
		"GOWORK=off", // -modfile is not allowed in workspace mode
		// Build for the machine the tests run on, even if the test binary
		// itself was cross-compiled.
		"GOOS="+runtime.GOOS,
		"GOARCH="+runtime.GOARCH,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := runWithProgress(cmd, name, mf)
	out := strings.TrimSpace(stdout.String())
	if runErr != nil {
		return "", fmt.Errorf("%s: %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(cmd.Args, " "), runErr, stdout.String(), stderr.String())
	}
	// With -n, go tool prints the command line it would run, which is the
	// cached executable's path (possibly prefixed by a go_$GOOS_$GOARCH_exec
	// wrapper, which we do not support).
	if !filepath.IsAbs(out) || strings.Contains(out, "\n") {
		return "", fmt.Errorf("%s printed unexpected output %q (stderr: %s)",
			strings.Join(cmd.Args, " "), out, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		return "", fmt.Errorf("%s printed %q: %w", strings.Join(cmd.Args, " "), out, err)
	}
	if !fi.Mode().IsRegular() {
		return "", errors.New(out + " is not a regular file")
	}
	return out, nil
}

// progressDelay is how long a build may take before it is announced: an
// up-to-date check of a cached tool takes well under a second and stays
// silent.
var progressDelay = 5 * time.Second

// progressOut, if set, receives the progress notes instead (for tests).
var progressOut io.Writer

// runWithProgress runs cmd and, if it takes longer than progressDelay,
// tells the person waiting what is happening. `go test` without -v shows
// nothing a passing test binary prints, so the notes go where the go
// command itself prints (see progressWriter).
func runWithProgress(cmd *exec.Cmd, name, modfile string) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	start := time.Now()
	select {
	case err := <-done:
		return err
	case <-time.After(progressDelay):
	}
	rel := modfile
	if root, err := repoRoot(); err == nil {
		if r, err := filepath.Rel(root, modfile); err == nil {
			rel = filepath.ToSlash(r)
		}
	}
	progressf("sv tests: building pinned %s from %s (first run only; this can take a few minutes)…\n", name, rel)
	err := <-done
	if err == nil {
		progressf("sv tests: built %s in %s\n", name, time.Since(start).Round(time.Second))
	}
	return err
}

func progressf(format string, args ...any) {
	if progressOut != nil {
		fmt.Fprintf(progressOut, format, args...)
		return
	}
	w, closeW := progressWriter()
	defer closeW()
	fmt.Fprintf(w, format, args...)
}

// progressWriter returns where progress notes go, in this order:
//   - the standard error of the go command running this test binary, when
//     it is a terminal or a pipe (Linux: /proc/PPID/fd/2), so the note shows
//     up live in a terminal, in `go test … 2>&1 | tee log` and in CI logs;
//     a regular file is skipped, since a second writer would overwrite it;
//   - the terminal (/dev/tty);
//   - this process's standard error (shown by go test only on failure or
//     with -v).
func progressWriter() (io.Writer, func()) {
	if runtime.GOOS == "linux" {
		parent := fmt.Sprintf("/proc/%d/fd/2", os.Getppid())
		if fi, err := os.Stat(parent); err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) != 0 {
			if f, err := os.OpenFile(parent, os.O_WRONLY|os.O_APPEND, 0); err == nil {
				return f, func() { f.Close() }
			}
		}
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		return tty, func() { tty.Close() }
	}
	return os.Stderr, func() {}
}
