package releasetest

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sv-secrets/sv/internal/tooltest"
	"github.com/sv-secrets/sv/internal/version"
)

// TestRelease runs scripts/release.sh for the host platform only (the full
// six-target build is CI's job on tags) into a temporary directory, signed
// with a throwaway gpg key when gpg is installed, and checks what a user
// gets: the archive with a working sv, SHA256SUMS that verify, and plugin
// packages that `helm plugin install` accepts on Helm 3 (from a URL, as
// from a release) and Helm 4 (a local .tgz with its .prov, verified against
// the release key: the secrets package alone, whose install hook adds the
// secrets-getter plugin, and both packages by hand), with `go` not on PATH;
// then `helm secrets --help` and a secrets:// render work.
// TestGitInstall shares the build (buildRelease).
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release and two Helm binaries")
	}
	if runtime.GOOS == "windows" {
		t.Skip("scripts/release.sh needs bash, tar and sha256sum")
	}
	for _, tool := range []string{"bash", "tar", "gzip", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	root := tooltest.RepoRoot(t)
	helm3 := tooltest.Tool(t, "tools/helm3/go.mod", "helm")
	helm4 := tooltest.Tool(t, "tools/helm4/go.mod", "helm")

	rel := buildRelease(t)
	tmp := t.TempDir()
	dist, signed := rel.dist, rel.signed
	goos, goarch := runtime.GOOS, runtime.GOARCH
	v := version.Version

	archive := "sv_" + v + "_" + goos + "_" + goarch + ".tar.gz"
	pkgs := map[string]string{
		"helm3":  "helm-secrets-sv-" + v + "-" + goos + "-" + goarch + ".tgz",
		"cli":    "secrets-" + v + "-" + goos + "-" + goarch + ".tgz",
		"getter": "secrets-getter-" + v + "-" + goos + "-" + goarch + ".tgz",
	}
	want := []string{archive, pkgs["helm3"], pkgs["cli"], pkgs["getter"]}
	if signed {
		want = append(want, "sv-release-key.asc", "SHA256SUMS.asc")
		for _, p := range pkgs {
			want = append(want, p+".prov")
		}
	}
	for _, f := range append(want, "SHA256SUMS") {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Errorf("release is missing %s", f)
		}
	}

	// SHA256SUMS lists every artefact and verifies, by sha256sum -c and here.
	sums := readSums(t, filepath.Join(dist, "SHA256SUMS"))
	for _, f := range want {
		if f == "SHA256SUMS.asc" {
			continue
		}
		if sums[f] == "" {
			t.Errorf("SHA256SUMS has no line for %s", f)
		} else if got := sha256File(t, filepath.Join(dist, f)); got != sums[f] {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", f, got, sums[f])
		}
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	if t.Failed() {
		t.FailNow()
	}

	// The archive's sv reports the version, with the plugin version.
	for _, f := range []string{"sv", "LICENSE", "README.md", "CHANGELOG.md"} {
		if _, err := os.Stat(filepath.Join(rel.unpacked, f)); err != nil {
			t.Errorf("archive lacks %s", f)
		}
	}
	sv := rel.sv
	out, err := exec.Command(sv, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sv "+v+" ") || !strings.Contains(string(out), version.Plugin()) {
		t.Fatalf("sv --version: %v\n%s", err, out)
	}

	// A Helm user's machine: helm and nothing else on PATH (no go, no sv).
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// An encrypted values file for the render, made by the released sv.
	work := rel.work
	keyFile := rel.keyFile
	chart := filepath.Join(root, "testdata", "chart")

	// Helm 3 installs plugins from an archive URL (a local .tgz is not
	// accepted); the server says application/gzip like a package host.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		http.ServeFile(w, r, filepath.Join(dist, filepath.Base(r.URL.Path)))
	}))
	defer srv.Close()

	for _, h := range []struct {
		name, helm string
		install    [][]string
		extract    bool // install by unpacking into $HELM_PLUGINS/helm-secrets-sv (docs/install.md)
	}{
		{"helm3", helm3, [][]string{{"plugin", "install", srv.URL + "/" + pkgs["helm3"]}}, false},
		{"helm3-extract", helm3, nil, true},
		// One command: the secrets package's install hook writes the
		// secrets-getter plugin beside it.
		{"helm4", helm4, [][]string{
			helm4Install(filepath.Join(dist, pkgs["cli"]), signed, dist),
		}, false},
		// Both packages by hand, the getter first: the hook keeps it.
		{"helm4-both", helm4, [][]string{
			helm4Install(filepath.Join(dist, pkgs["getter"]), signed, dist),
			helm4Install(filepath.Join(dist, pkgs["cli"]), signed, dist),
		}, false},
	} {
		t.Run(h.name, func(t *testing.T) {
			if err := os.Symlink(h.helm, filepath.Join(bin, "helm")); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(filepath.Join(bin, "helm"))
			home := filepath.Join(tmp, h.name)
			env := []string{
				"HOME=" + home,
				"PATH=" + bin,
				"HELM_DATA_HOME=" + filepath.Join(home, "data"),
				"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
				"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
				"SOPS_AGE_KEY_FILE=" + keyFile,
			}
			for _, name := range []string{"go", "sv", "sh"} {
				if p := lookPathIn(name, bin); p != "" {
					t.Fatalf("%s is on the test's PATH: %s", name, p)
				}
			}
			helm := func(args ...string) string {
				t.Helper()
				c := exec.Command(filepath.Join(bin, "helm"), args...)
				c.Dir = work
				c.Env = env
				out, err := c.CombinedOutput()
				if err != nil {
					t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			if h.extract {
				// What a Helm 3 user does with a GitHub release URL, which
				// Helm 3's URL installer rejects (application/octet-stream):
				// mkdir -p "$(helm env HELM_PLUGINS)/helm-secrets-sv" && curl … | tar -xz -C …
				plugins := strings.TrimSpace(helm("env", "HELM_PLUGINS"))
				dir := filepath.Join(plugins, "helm-secrets-sv")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("tar", "-xzf", filepath.Join(dist, pkgs["helm3"]), "-C", dir).CombinedOutput(); err != nil {
					t.Fatalf("tar: %v\n%s", err, out)
				}
			}
			for _, args := range h.install {
				out := helm(args...)
				if signed && strings.HasPrefix(h.name, "helm4") && !strings.Contains(out, "Plugin Hash Verified: sha256:") {
					t.Errorf("helm %s did not verify the provenance:\n%s", strings.Join(args, " "), out)
				}
				if strings.Contains(args[2], pkgs["cli"]) {
					want := "sv: installed " + filepath.Join(home, "data", "plugins", "secrets-getter")
					if h.name == "helm4-both" {
						want = "sv: keeping the secrets-getter plugin installed from sv's getter package"
					}
					if !strings.Contains(out, want) {
						t.Errorf("helm %s: the install hook did not say %q:\n%s", strings.Join(args, " "), want, out)
					}
				}
			}
			list := helm("plugin", "list")
			if !strings.Contains(list, version.Plugin()) {
				t.Errorf("helm plugin list does not show version %s:\n%s", version.Plugin(), list)
			}
			if strings.HasPrefix(h.name, "helm4") {
				for _, re := range []string{`(?m)^secrets\s+\S+\s+cli/v1\s`, `(?m)^secrets-getter\s+\S+\s+getter/v1\s`} {
					if !regexp.MustCompile(re).MatchString(list) {
						t.Errorf("helm plugin list does not match %s:\n%s", re, list)
					}
				}
			}
			if help := helm("secrets", "--help"); !strings.Contains(help, "secrets://") {
				t.Errorf("helm secrets --help:\n%s", help)
			}
			for _, args := range [][]string{
				{"template", "rel", chart, "-f", "secrets://values.prod.yaml"},
				{"secrets", "template", "rel", chart, "-f", "values.prod.yaml"},
			} {
				if out := helm(args...); !strings.Contains(out, releaseSecret) {
					t.Errorf("helm %s does not render the secret:\n%s", strings.Join(args, " "), out)
				}
			}
			// Helm 4: one command removes both (docs/install.md).
			if strings.HasPrefix(h.name, "helm4") {
				helm("plugin", "uninstall", "secrets", "secrets-getter")
				if list := helm("plugin", "list"); strings.Contains(list, "secrets") {
					t.Errorf("after helm plugin uninstall secrets secrets-getter:\n%s", list)
				}
			}
		})
	}
}

// helm4Install is the install command of a Helm 4 package: verified
// against the release key when the release is signed (Helm 4's default),
// else explicitly unverified.
func helm4Install(pkg string, signed bool, dist string) []string {
	if signed {
		return []string{"plugin", "install", pkg, "--keyring", filepath.Join(dist, "sv-release-key.asc")}
	}
	return []string{"plugin", "install", pkg, "--verify=false"}
}

// lookPathIn is the file name would run as with PATH=dir, or "".
func lookPathIn(name, dir string) string {
	for _, d := range filepath.SplitList(dir) {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && !fi.IsDir() {
			return filepath.Join(d, name)
		}
	}
	return ""
}

func readSums(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS: bad line %q", sc.Text())
		}
		sums[name] = sum
	}
	return sums
}

func sha256File(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// untarFile unpacks a release archive, which holds only regular files at
// its top level, into dir.
func untarFile(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "/") {
			return fmt.Errorf("%s: unexpected entry %s", archive, h.Name)
		}
		out, err := os.OpenFile(filepath.Join(dir, h.Name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, os.FileMode(h.Mode)&0o755|0o200)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
}

// recipientOf reads the "# public key:" line of a test identity file.
func recipientOf(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			return r, nil
		}
	}
	return "", fmt.Errorf("%s has no public key line", file)
}

// release is what buildRelease made: one host-platform release, shared by
// the tests of this package so that it is built once.
type release struct {
	dist     string // scripts/release.sh's output directory
	signed   bool   // built with a throwaway gpg key (.prov files, SHA256SUMS.asc)
	unpacked string // the archive, unpacked
	sv       string // the released sv binary
	work     string // directory holding values.prod.yaml, encrypted by sv
	keyFile  string // the age identity that decrypts it
}

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseVal  *release
	releaseErr  string
)

// buildRelease runs scripts/release.sh for the host platform (the full
// six-target build is CI's job on tags) into a directory shared by the
// package's tests, signed with a throwaway gpg key when gpg is installed,
// unpacks the archive, and encrypts values.prod.yaml with the released sv.
func buildRelease(t *testing.T) *release {
	t.Helper()
	root := tooltest.RepoRoot(t)
	releaseOnce.Do(func() {
		start := time.Now()
		releaseVal, releaseErr = makeRelease(root)
		t.Logf("release for %s/%s built in %.1fs (shared by this package's tests)", runtime.GOOS, runtime.GOARCH, time.Since(start).Seconds())
	})
	if releaseErr != "" {
		t.Fatal(releaseErr)
	}
	return releaseVal
}

func makeRelease(root string) (*release, string) {
	tmp, err := os.MkdirTemp("", "sv-releasetest-")
	if err != nil {
		return nil, err.Error()
	}
	releaseDir = tmp
	r := &release{dist: filepath.Join(tmp, "dist"), unpacked: filepath.Join(tmp, "unpacked"), work: filepath.Join(tmp, "work"),
		keyFile: filepath.Join(root, "testdata", "keys", "alice.agekey")}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	env := append(os.Environ(), "SV_RELEASE_TARGETS="+goos+"/"+goarch)
	if gpg, err := exec.LookPath("gpg"); err == nil {
		gnupg := filepath.Join(tmp, "gnupg")
		if err := os.Mkdir(gnupg, 0o700); err != nil {
			return nil, err.Error()
		}
		gen := exec.Command(gpg, "--batch", "--passphrase", "", "--quick-gen-key", "sv release test <release-test@sv.invalid>", "ed25519", "sign", "never")
		gen.Env = append(os.Environ(), "GNUPGHOME="+gnupg)
		if out, err := gen.CombinedOutput(); err == nil {
			env = append(env, "GNUPGHOME="+gnupg, "SV_GPG_KEY=release-test@sv.invalid")
			r.signed = true
		} else {
			fmt.Fprintf(os.Stderr, "releasetest: gpg cannot make a key, building unsigned: %v\n%s", err, out)
		}
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "release.sh"), r.dist)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Sprintf("scripts/release.sh: %v\n%s", err, out)
	}
	archive := filepath.Join(r.dist, "sv_"+version.Version+"_"+goos+"_"+goarch+".tar.gz")
	if err := untarFile(archive, r.unpacked); err != nil {
		return nil, err.Error()
	}
	r.sv = filepath.Join(r.unpacked, "sv")

	if err := os.Mkdir(r.work, 0o755); err != nil {
		return nil, err.Error()
	}
	if err := os.WriteFile(filepath.Join(r.work, "values.prod.yaml"), []byte(releaseSecretValues), 0o644); err != nil {
		return nil, err.Error()
	}
	rcpt, err := recipientOf(r.keyFile)
	if err != nil {
		return nil, err.Error()
	}
	enc := exec.Command(r.sv, "encrypt", "--age", rcpt, "values.prod.yaml")
	enc.Dir = r.work
	enc.Env = []string{"HOME=" + tmp, "PATH=" + filepath.Join(tmp, "nobin")}
	if out, err := enc.CombinedOutput(); err != nil {
		return nil, fmt.Sprintf("sv encrypt: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(r.work, "values.prod.yaml")); strings.Contains(string(b), releaseSecret) {
		return nil, "values.prod.yaml was not encrypted"
	}
	return r, ""
}

// releaseSecret is the value the renders must show (decrypted by the
// plugin) and that must never be on disk in plaintext after encryption.
const (
	releaseSecret       = "pw-Rel3ase-s3cr3t"
	releaseSecretValues = "database:\n  password: " + releaseSecret + " # the secret\n"
)

// TestMain removes the shared release directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}
