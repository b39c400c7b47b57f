package helmplugin

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/tooltest"
	"go.yaml.in/yaml/v3"

	// Test-only: Helm's own getter machinery runs the installed plugin
	// exactly as `helm template -f secrets://…` does. Only _test.go files
	// import Helm, so it never reaches the sv binary.
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
)

// TestHelm3Getter installs the plugin for a real sv binary into a plugins
// directory and fetches values through helm.sh/helm/v3's getter.All and
// values.Options.MergeValues.
func TestHelm3Getter(t *testing.T) {
	root := tooltest.RepoRoot(t)
	bin := filepath.Join(t.TempDir(), "sv")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plugins := filepath.Join(t.TempDir(), "plugins")
	if _, err := Install(plugins, 3, bin); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SOPS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	keys := filepath.Join(root, "testdata", "keys")
	fixtures := filepath.Join(root, "testdata", "helm")
	work := t.TempDir()
	t.Chdir(work)
	recipient := publicKey(t, filepath.Join(keys, "alice.agekey"))
	for _, f := range []string{"values.prod.yaml", "secret-file.yaml"} {
		enc := exec.Command(bin, "encrypt", "--age", recipient, "-o", f, filepath.Join(fixtures, f))
		if out, err := enc.CombinedOutput(); err != nil {
			t.Fatalf("sv encrypt: %v\n%s", err, out)
		}
	}
	t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(keys, "alice.agekey"))

	settings := cli.New()
	settings.PluginsDirectory = plugins
	providers := getter.All(settings)
	for _, scheme := range Protocols {
		if _, err := providers.ByScheme(scheme); err != nil {
			t.Errorf("no getter for %s: %v", scheme, err)
		}
	}

	// One file, byte for byte.
	g, err := providers.ByScheme("secrets")
	if err != nil {
		t.Fatal(err)
	}
	buf, err := g.Get("secrets://values.prod.yaml", getter.WithURL("secrets://values.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(fixtures, "values.prod.yaml"))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("getter returned\n%s\nwant\n%s", buf, want)
	}

	// The path helm template takes for -f and --set-file.
	opts := values.Options{
		ValueFiles: []string{"secrets://?missing.yaml", "secrets://values.prod.yaml"},
		FileValues: []string{"cert=secrets://secret-file.yaml"},
	}
	got, err := opts.MergeValues(providers)
	if err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	yaml.Unmarshal(want, &plain)
	if got["apiToken"] != plain["apiToken"] || got["database"].(map[string]any)["password"] != "pw-7Hq2-s3cr3t-prod" {
		t.Errorf("merged values = %v", got)
	}
	cert, _ := os.ReadFile(filepath.Join(fixtures, "secret-file.yaml"))
	if got["cert"] != string(cert) {
		t.Errorf("cert = %q, want %q", got["cert"], cert)
	}

	// A failure: Helm's error plus sv's one line on stderr.
	t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(keys, "bob.agekey"))
	stderr := captureStderr(t, func() {
		_, err = g.Get("secrets://values.prod.yaml", getter.WithURL("secrets://values.prod.yaml"))
	})
	if err == nil || !strings.Contains(err.Error(), "exited with error") {
		t.Errorf("wrong key: err = %v", err)
	}
	if !strings.HasPrefix(stderr, "sv: error: values.prod.yaml: no identity matches") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("wrong key: stderr = %q", stderr)
	}
}

func publicKey(t *testing.T, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			return r
		}
	}
	t.Fatalf("%s has no public key", file)
	return ""
}

// captureStderr runs f with os.Stderr pointing into a pipe; Helm's plugin
// getter hands os.Stderr to the plugin process when it runs it.
func captureStderr(t *testing.T, f func()) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	f()
	os.Stderr = old
	w.Close()
	return string(<-done)
}
