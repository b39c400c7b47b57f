package tooltest_test

import (
	"os"
	"os/exec"
	"path/filepath"
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
