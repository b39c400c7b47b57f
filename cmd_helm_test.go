package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/internal/tooltest"
)

// Helm scripts (testdata/script/helm_*.txt) get, besides the common
// set-up:
//
//	$HELM3_DIR, $HELM4_DIR  directories holding the real helm 3 / helm 4
//	$SV_DIR                 directory holding a real sv binary built from
//	                        this tree (Helm execs the plugin; the in-process
//	                        sv of testscript cannot be exec'ed by Helm)
//	$CHART                  testdata/chart, the example chart
//	$HELMDATA               testdata/helm, plaintext fixtures (read only)
//	$REPO                   the repository root
//	$HELMFILE_DIR           directory holding helmfile (tools/helmfile/go.mod),
//	                        unless SV_TEST_HELMFILE=0 (slow to build)
//
// and the commands keep/cmpkept (compare outputs without writing them to
// disk), nosecret (scan directories for plaintext) and checkout (copy the
// plugin files of this tree, as a source checkout has them).
func init() {
	scriptSetups = append(scriptSetups, helmScriptSetup)
	scriptCmds["keep"] = cmdKeep
	scriptCmds["cmpkept"] = cmdCmpKept
	scriptCmds["nosecret"] = cmdNoSecret
	scriptCmds["checkout"] = cmdCheckout
	scriptCmds["httpserve"] = cmdHTTPServe
}

// httpserve DIR serves DIR over HTTP on 127.0.0.1 (a random port) until the
// script ends, and sets $HTTP to its base URL (and $HTTPHOST to host:port).
// Besides the files:
//
//	/auth/FILE  the file, only with basic auth user "u" password "p4ss"
//	/slow/FILE  answers after 5 seconds (for timeouts)
//	/endless    an endless body (for the size limit)
//
// Every request is bounded (server timeouts, the handlers give up when the
// client goes away), and the server is closed when the script ends.
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: httpserve DIR")
	}
	files := http.FileServer(http.Dir(ts.MkAbs(args[0])))
	mux := http.NewServeMux()
	mux.Handle("/", files)
	mux.HandleFunc("/auth/", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p4ss" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.StripPrefix("/auth", files).ServeHTTP(w, r)
	})
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
			return
		}
		http.StripPrefix("/slow", files).ServeHTTP(w, r)
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("a: b\n"), 1<<14)
		for i := 0; i < 1<<12; i++ { // at most 256 MiB, stops when the client does
			if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("HTTP", "http://"+ln.Addr().String())
	ts.Setenv("HTTPHOST", ln.Addr().String())
}

var (
	svBinMu   sync.Mutex
	svBinDirs = map[*testing.T]string{}
)

// realSv builds the sv binary once per TestScript run (t is TestScript's
// t, so the binary goes away with it) and returns its directory.
func realSv(t *testing.T) (string, error) {
	svBinMu.Lock()
	defer svBinMu.Unlock()
	if d, ok := svBinDirs[t]; ok {
		return d, nil
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sv"), ".")
	cmd.Dir = tooltest.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building sv: %v\n%s", err, out)
	}
	svBinDirs[t] = dir
	return dir, nil
}

func helmScriptSetup(t *testing.T, e *testscript.Env) error {
	if !strings.HasPrefix(filepath.Base(e.WorkDir), "script-helm_") {
		return nil
	}
	root := tooltest.RepoRoot(t)
	e.Setenv("HELM3_DIR", filepath.Dir(tooltest.Tool(t, "tools/helm3/go.mod", "helm")))
	e.Setenv("HELM4_DIR", filepath.Dir(tooltest.Tool(t, "tools/helm4/go.mod", "helm")))
	svDir, err := realSv(t)
	if err != nil {
		return err
	}
	e.Setenv("SV_DIR", svDir)
	e.Setenv("CHART", filepath.Join(root, "testdata", "chart"))
	e.Setenv("HELMDATA", filepath.Join(root, "testdata", "helm"))
	e.Setenv("REPO", root)
	// helmfile is the slowest pinned tool to build cold (measured: 14 min
	// wall, 12.6 min CPU with an empty Go build cache on a busy 2-core
	// machine), built once and cached like the others; SV_TEST_HELMFILE=0
	// skips it for a quick local run.
	e.Setenv("HELMFILE_DIR", filepath.Join(e.WorkDir, "no-helmfile"))
	if os.Getenv("SV_TEST_HELMFILE") != "0" && strings.HasPrefix(filepath.Base(e.WorkDir), "script-helm_helmfile") {
		e.Setenv("HELMFILE_DIR", filepath.Dir(tooltest.Tool(t, "tools/helmfile/go.mod", "helmfile")))
	}
	// Helm settings of the machine running the tests must not leak in.
	vars := e.Vars[:0]
	for _, kv := range e.Vars {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			vars = append(vars, kv)
		}
	}
	e.Vars = vars
	return nil
}

var kept sync.Map // *testscript.TestScript → map[string][]byte

// keep NAME remembers the last command's stdout in memory.
func cmdKeep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: keep NAME")
	}
	m, _ := kept.LoadOrStore(ts, map[string][]byte{})
	m.(map[string][]byte)[args[0]] = []byte(ts.ReadFile("stdout"))
}

// cmpkept NAME compares the last command's stdout with what keep NAME saved.
func cmdCmpKept(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: cmpkept NAME")
	}
	m, ok := kept.Load(ts)
	if !ok {
		ts.Fatalf("cmpkept: nothing kept")
	}
	want, ok := m.(map[string][]byte)[args[0]]
	if !ok {
		ts.Fatalf("cmpkept: nothing kept as %s", args[0])
	}
	got := []byte(ts.ReadFile("stdout"))
	if bytes.Equal(got, want) == neg {
		if neg {
			ts.Fatalf("stdout equals %s", args[0])
		}
		ts.Logf("stdout:\n%s\nkept %s:\n%s", got, args[0], want)
		ts.Fatalf("stdout differs from %s", args[0])
	}
}

// nosecret TEXT DIR... fails if any file under the directories contains
// TEXT (symlinks are not followed); "! nosecret" expects one that does, to
// show the scan works.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: nosecret TEXT DIR...")
	}
	needle := []byte(args[0])
	files, found := 0, ""
	for _, d := range args[1:] {
		err := filepath.WalkDir(ts.MkAbs(d), func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			if found == "" && bytes.Contains(b, needle) {
				found = p
			}
			return nil
		})
		ts.Check(err)
	}
	ts.Logf("nosecret: scanned %d files", files)
	switch {
	case found != "" && !neg:
		ts.Fatalf("%s contains %q", found, needle)
	case found == "" && neg:
		ts.Fatalf("no file contains %q", needle)
	}
}

// checkout DIR copies the Helm plugin files of this tree into DIR as a
// source checkout has them (scripts/sv.sh with its mode, plugin.yaml files,
// the plugins/*/scripts symlinks), without any sv binary.
func cmdCheckout(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: checkout DIR")
	}
	root := ts.Getenv("REPO")
	dst := ts.MkAbs(args[0])
	for _, f := range []string{"plugin.yaml", "scripts/sv.sh", "scripts/install.sh", "scripts/install.ps1", "plugins/secrets/plugin.yaml", "plugins/secrets-getter/plugin.yaml"} {
		src := filepath.Join(root, filepath.FromSlash(f))
		fi, err := os.Stat(src)
		ts.Check(err)
		b, err := os.ReadFile(src)
		ts.Check(err)
		out := filepath.Join(dst, filepath.FromSlash(f))
		ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
		ts.Check(os.WriteFile(out, b, fi.Mode().Perm()))
	}
	for _, l := range []string{"plugins/secrets/scripts", "plugins/secrets-getter/scripts"} {
		target, err := os.Readlink(filepath.Join(root, filepath.FromSlash(l)))
		ts.Check(err)
		ts.Check(os.Symlink(target, filepath.Join(dst, filepath.FromSlash(l))))
	}
}

// BenchmarkHelmDownloader is the downloader's own work per file (argv,
// keys, read, decrypt, write) without the process start that Helm adds;
// bench/helm.sh measures the whole thing.
func BenchmarkHelmDownloader(b *testing.B) {
	root := tooltest.RepoRoot(b)
	keys := filepath.Join(root, "testdata", "keys")
	dir := b.TempDir()
	b.Chdir(dir)
	b.Setenv("HOME", dir)
	b.Setenv("XDG_CONFIG_HOME", dir)
	b.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(keys, "alice.agekey"))
	var src strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&src, "svc%d:\n  host: db-%d.internal\n  password: 'p4ss-%08d'\n  port: %d\n  enabled: true\n", i, i, i, 5000+i)
	}
	os.WriteFile("values.yaml", []byte(src.String()), 0o644)
	if code := run([]string{"sv", "encrypt", "--age", ageRecipient(b, filepath.Join(keys, "alice.agekey")), "values.yaml"}, nil, io.Discard, io.Discard); code != 0 {
		b.Fatalf("encrypt exited %d", code)
	}
	var out bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		if code := run([]string{"sv", "helm", "downloader", "", "", "", "secrets://values.yaml"}, nil, &out, io.Discard); code != 0 {
			b.Fatalf("downloader exited %d", code)
		}
	}
	if out.String() != src.String() {
		b.Fatal("downloader output differs from the plaintext")
	}
}

func ageRecipient(b *testing.B, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			return r
		}
	}
	b.Fatalf("%s has no public key", file)
	return ""
}
