package releasetest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/tooltest"
	"github.com/sv-secrets/sv/internal/version"
)

// gitInstallTools are the programs on the PATH of TestGitInstall's Helm
// user: helm, git (whose git-submodule script runs basename and sed), sh
// and what scripts/install.sh runs — no go, no sv.
var gitInstallTools = []string{"git", "basename", "sed", "sh", "curl", "tar", "gzip", "sha256sum", "uname", "mkdir", "rm", "rmdir", "mv"}

// TestGitInstall is the helm-secrets way of installing, one command on
// Helm 3 with only Helm (and git, sh, curl) on the machine:
//
//	helm plugin install https://github.com/sv-secrets/sv --version v0.1.0
//
// Helm 3 clones the repository (here a local git repository holding the
// plugin files of this tree, tagged like a release, by file:// URL, which
// Helm 3's VCS installer takes like any git URL) and runs the root
// plugin.yaml's install hook, scripts/install.sh, which downloads the
// release archive (here from buildRelease's release, served on 127.0.0.1
// through SV_RELEASE_URL, as application/octet-stream like GitHub), checks
// it against SHA256SUMS and unpacks bin/sv. Then a chart renders with a
// secrets:// values file and through `helm secrets`. A tampered checksum
// and a server that is down each fail the install with one "sv: error:"
// line and leave no plugin behind, so the same command works once fixed.
func TestGitInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release and Helm 3")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the hook is sh (scripts/install.ps1 is not run here)")
	}
	for _, tool := range append([]string{"bash"}, gitInstallTools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	root := tooltest.RepoRoot(t)
	helm3 := tooltest.Tool(t, "tools/helm3/go.mod", "helm")
	rel := buildRelease(t)
	tmp := t.TempDir()
	v := version.Version
	archive := "sv_" + v + "_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"

	// The Helm user's PATH.
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(helm3, filepath.Join(bin, "helm")); err != nil {
		t.Fatal(err)
	}
	for _, tool := range gitInstallTools {
		p, _ := exec.LookPath(tool)
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"go", "sv"} {
		if p := lookPathIn(name, bin); p != "" {
			t.Fatalf("%s is on the test's PATH: %s", name, p)
		}
	}

	// The repository: the plugin files of this tree, tagged v<version>.
	repo := filepath.Join(tmp, "sv")
	for _, f := range []string{"plugin.yaml", "LICENSE", "scripts/install.sh", "scripts/install.ps1", "scripts/sv.sh"} {
		src := filepath.Join(root, filepath.FromSlash(f))
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	gitEnv := []string{
		"HOME=" + tmp, "PATH=" + bin, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=sv", "GIT_AUTHOR_EMAIL=sv@sv.invalid", "GIT_COMMITTER_NAME=sv", "GIT_COMMITTER_EMAIL=sv@sv.invalid",
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "release"}, {"tag", "v" + v},
	} {
		c := exec.Command("git", args...)
		c.Dir, c.Env = repo, gitEnv
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// Release servers: the release, one whose SHA256SUMS line for the
	// archive is wrong, and one that is down.
	sums, err := os.ReadFile(filepath.Join(rel.dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := tamperSum(t, sums, archive)
	prefix := "/releases/download/v" + v + "/"
	serve := func(sums []byte) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, ok := strings.CutPrefix(r.URL.Path, prefix)
			if !ok || strings.Contains(name, "/") {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			if name == "SHA256SUMS" {
				w.Write(sums)
				return
			}
			http.ServeFile(w, r, filepath.Join(rel.dist, name))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	good := serve(sums).URL + prefix
	bad := serve(tampered).URL + prefix
	downSrv := httptest.NewServer(http.NotFoundHandler())
	down := downSrv.URL + prefix
	downSrv.Close()

	home := filepath.Join(tmp, "home")
	helm := func(release string, args ...string) (string, error) {
		t.Helper()
		c := exec.Command(filepath.Join(bin, "helm"), args...)
		c.Dir = rel.work
		c.Env = []string{
			"HOME=" + home,
			"PATH=" + bin,
			"HELM_DATA_HOME=" + filepath.Join(home, "data"),
			"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
			"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
			"SOPS_AGE_KEY_FILE=" + rel.keyFile,
			"SV_RELEASE_URL=" + release,
			"GIT_CONFIG_NOSYSTEM=1",
		}
		out, err := c.CombinedOutput()
		return string(out), err
	}
	plugins := filepath.Join(home, "data", "plugins")
	install := []string{"plugin", "install", "file://" + repo, "--version", "v" + v}

	// Failures first: each is one clear line, and nothing is left.
	for _, c := range []struct {
		name, url, want string
	}{
		{"checksum mismatch", bad, "sv: error: " + archive + " from " + strings.TrimSuffix(bad, "/") + " does not match its SHA256SUMS line (got sha256 "},
		{"server down", down, "sv: error: cannot download " + down + "SHA256SUMS: cannot connect to the server; the plugin is not installed"},
	} {
		out, err := helm(c.url, install...)
		if err == nil {
			t.Fatalf("%s: helm plugin install succeeded:\n%s", c.name, out)
		}
		var svLines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "sv:") {
				svLines = append(svLines, l)
			}
		}
		if len(svLines) != 1 || !strings.HasPrefix(svLines[0], c.want) || !strings.HasSuffix(svLines[0], "; the plugin is not installed") {
			t.Errorf("%s: want one line %q…, got:\n%s", c.name, c.want, out)
		}
		if entries, _ := os.ReadDir(plugins); len(entries) != 0 {
			t.Errorf("%s: left behind in %s: %v", c.name, plugins, entries)
		}
	}

	// The install, run again as is.
	out, err := helm(good, install...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(install, " "), err, out)
	}
	for _, want := range []string{"sv: installed sv " + v + " (" + runtime.GOOS + "/" + runtime.GOARCH + ") from " + strings.TrimSuffix(good, "/") + ", SHA-256 checked", "Installed plugin: secrets"} {
		if !strings.Contains(out, want) {
			t.Errorf("helm plugin install does not say %q:\n%s", want, out)
		}
	}
	installed, err := os.ReadFile(filepath.Join(plugins, "sv", "bin", "sv"))
	if err != nil {
		t.Fatal(err)
	}
	released, err := os.ReadFile(rel.sv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(installed, released) {
		t.Error("bin/sv is not the released binary")
	}
	if entries, _ := os.ReadDir(filepath.Join(plugins, "sv", "bin")); len(entries) != 1 {
		t.Errorf("bin/ holds more than sv: %v", entries)
	}
	if out, err := helm(good, "plugin", "list"); err != nil || !strings.Contains(out, version.Plugin()) {
		t.Errorf("helm plugin list: %v\n%s", err, out)
	}
	chart := filepath.Join(root, "testdata", "chart")
	for _, args := range [][]string{
		{"template", "rel", chart, "-f", "secrets://values.prod.yaml"},
		{"secrets", "template", "rel", chart, "-f", "values.prod.yaml"},
	} {
		if out, err := helm(good, args...); err != nil || !strings.Contains(out, releaseSecret) {
			t.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The update hook keeps a binary of the right version (no download:
	// the release server is down).
	if out, err := helm(down, "plugin", "update", "secrets"); err != nil {
		t.Errorf("helm plugin update secrets: %v\n%s", err, out)
	}
}

// tamperSum is sums with the checksum of file changed in one digit.
func tamperSum(t *testing.T, sums []byte, file string) []byte {
	t.Helper()
	lines := strings.Split(string(sums), "\n")
	for i, l := range lines {
		if sum, name, ok := strings.Cut(l, "  "); ok && name == file {
			d := "0"
			if sum[0] == '0' {
				d = "1"
			}
			lines[i] = d + sum[1:] + "  " + name
			return []byte(strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("SHA256SUMS has no line for %s", file)
	return nil
}
