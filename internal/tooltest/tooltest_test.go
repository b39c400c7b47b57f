package tooltest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/tooltest"
)

func version(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// Keep sops from asking GitHub for the latest release.
	cmd.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestRepoRoot(t *testing.T) {
	root := tooltest.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "tools", "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
}

func TestSops(t *testing.T) {
	t.Parallel()
	bin := tooltest.Sops(t)
	if !filepath.IsAbs(bin) {
		t.Fatalf("Sops returned relative path %q", bin)
	}
	if got, want := version(t, bin, "--version", "--disable-version-check"), "sops 3.13.3"; got != want {
		t.Errorf("sops --version = %q, want %q", got, want)
	}
	if again := tooltest.Sops(t); again != bin {
		t.Errorf("second Sops call = %q, want %q", again, bin)
	}
}

func TestAge(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{tooltest.Age(t), tooltest.AgeKeygen(t)} {
		if got, want := version(t, bin, "--version"), "v1.3.2"; got != want {
			t.Errorf("%s --version = %q, want %q", filepath.Base(bin), got, want)
		}
	}
}

// TestToolConcurrent asks for the same tool from many goroutines at once.
func TestToolConcurrent(t *testing.T) {
	t.Parallel()
	want := tooltest.Tool(t, "tools/go.mod", "age")
	for i := 0; i < 8; i++ {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			if got := tooltest.Tool(t, "tools/go.mod", "filippo.io/age/cmd/age"); filepath.Base(got) != "age" {
				t.Errorf("Tool(full package path) = %q", got)
			}
			if got := tooltest.Age(t); got != want {
				t.Errorf("Age = %q, want %q", got, want)
			}
		})
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and stops
// the calling goroutine without failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestToolBuildFailure(t *testing.T) {
	t.Parallel()
	r := &fatalRecorder{TB: t}
	done := make(chan string)
	go func() {
		defer close(done)
		done <- tooltest.Tool(r, "tools/go.mod", "no-such-tool")
	}()
	if path, ok := <-done; ok {
		t.Fatalf("Tool returned %q for an unknown tool, want Fatalf", path)
	}
	if !strings.Contains(r.msg, "no-such-tool") || !strings.Contains(r.msg, "stderr:") {
		t.Errorf("Fatalf message does not include the go command's output:\n%s", r.msg)
	}
	t.Logf("Fatalf message: %s", r.msg)
}
