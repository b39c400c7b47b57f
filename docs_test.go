package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sv-secrets/sv/internal/tooltest"
)

// docBlock is a shell example from a Markdown file that the tests run.
type docBlock struct {
	line   int // 1-based line of the block's first command
	script string
}

// docFence is a fenced shell example that is not marked for running.
type docFence struct {
	line  int    // 1-based line of the opening fence
	lang  string // its language (sh, console, powershell, …)
	first string // its first line
}

// shellLangs are the fence languages of shell examples: each must be marked
// <!-- doctest --> or be in docExceptions.
var shellLangs = map[string]bool{
	"sh": true, "bash": true, "shell": true, "zsh": true, "console": true,
	"powershell": true, "pwsh": true, "ps1": true, "bat": true, "cmd": true,
}

// docExceptions are the shell examples that cannot run here, by file and
// first line, with the reason. TestDocs fails on an unmarked example that
// is not listed, and on a listed one that no longer exists.
var docExceptions = []struct{ file, first, reason string }{
	// GitHub: the tests have no network. What the commands do is tested on
	// this machine instead: internal/releasetest's TestRelease builds the
	// release and installs its archive and packages (Helm 3 by URL and by
	// unpacking, Helm 4 signed), TestGitInstall runs `helm plugin install
	// <git repository> --version v0.1.0` against a local release server.
	{"README.md", "VERSION=0.1.0 OS=linux ARCH=amd64         # OS: linux, darwin, windows; ARCH: amd64, arm64", "downloads from GitHub (TestRelease checks the archive and SHA256SUMS)"},
	{"README.md", "helm plugin install https://github.com/sv-secrets/sv --version v0.1.0", "clones from GitHub (TestGitInstall runs it on a local repository and release server)"},
	{"README.md", `curl -fsSLO "$base/sv-release-key.asc"`, "downloads from GitHub (TestRelease installs the signed Helm 4 package)"},
	{"docs/install.md", "VERSION=0.1.0 OS=linux ARCH=amd64", "downloads from GitHub (TestRelease checks the archive and SHA256SUMS)"},
	{"docs/install.md", "helm plugin install https://github.com/sv-secrets/sv --version v0.1.0", "clones from GitHub (TestGitInstall runs it on a local repository and release server)"},
	{"docs/install.md", "# Helm 4: the signed package; its install hook adds the secrets-getter plugin", "downloads from GitHub (TestRelease/helm4 installs the same package with --keyring)"},
	{"docs/install.md", "# Helm 3: unpack the package into Helm's plugins directory", "downloads from GitHub (TestRelease/helm3-extract unpacks the same package)"},
	{"docs/install.md", "go install github.com/sv-secrets/sv@v0.1.0        # or @latest", "needs the module proxy and a published tag"},
	{"docs/install.md", "git clone https://github.com/sv-secrets/sv && cd sv", "clones from GitHub"},
	{"docs/install.md", "CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o sv .", "would overwrite ./sv in the checkout under test; scripts/release.sh (TestRelease) builds with these flags"},
	{"docs/helm.md", "go build -o sv .                            # optional: else sv from PATH, or $SV_BIN", "installs the checkout under test into Helm; testdata/script/helm_checkout.txt runs these commands on a copy"},
	// A Kubernetes cluster.
	{"docs/helm.md", "helm secrets upgrade --install app ./chart -f values.yaml -f values.prod.yaml --set-file tls=cert.enc.yaml", "talks to a Kubernetes cluster (helm-diff too); the wrapper's rewriting is the same as for template"},
	{"docs/commands.md", "sv decrypt deploy/prod/*.yaml | kubectl apply -f -     # YAML documents separated by ---", "kubectl talks to a cluster; the next example runs the same decrypt"},
	{"docs/helm-secrets.md", "kubectl -n argocd create secret generic helm-secrets-private-keys --from-file=keys.txt=./argocd.agekey", "kubectl talks to a cluster (Argo CD); testdata/script/helm_argocd.txt runs the recipe's restrictions"},
	// Hardware, terminals, the suite itself, benchmarks.
	{"docs/keys.md", "age-plugin-yubikey --identity >> ~/.config/sops/age/keys.txt      # the identity stub", "needs a YubiKey and age-plugin-yubikey"},
	{"docs/keys.md", "age-keygen | age -p -a > ~/.config/sops/age/keys.txt", "asks for a passphrase on a terminal"},
	{"README.md", "go test -timeout 60m ./...       # all tests; the first run builds the pinned sops, age, helm 3, helm 4 and helmfile", "the test suite itself (.ci/run runs it)"},
	{"docs/performance.md", "bench/sops_written.sh                       # 10 and 100k leaves, written by sops and by sv: sv vs sops decrypt", "benchmarks: minutes of CPU each, and they measure rather than test"},
}

// docPending are files whose owner is still marking their examples: their
// marked examples run, their unmarked ones are not reported yet.
var docPending = map[string]string{
	"docs/formats.md": "its owner marks its examples with this scheme",
}

// docBlocks extracts the examples of a Markdown file that are marked for
// testing:
//
//   - a fenced ```sh block right after a line "<!-- doctest -->" (shown to
//     readers and run);
//   - a fenced ```console block right after "<!-- doctest -->": its "$ "
//     lines run (the output shown is illustrative), and if it shows an
//     "sv: error:" line the last command must fail;
//   - the body of a "<!-- doctest-setup" … "-->" comment (run, but hidden
//     from readers: fixtures such as a chart).
//
// All marked blocks of a file run in order in one shell, so later examples
// build on earlier ones, like a reader following the page. It also returns
// the unmarked shell examples, and fails on a fence without a language
// (output is ```text), which could hide one.
func docBlocks(file string) ([]docBlock, []docFence, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var (
		blocks    []docBlock
		unmarked  []docFence
		marked    bool   // previous non-empty line was <!-- doctest -->
		in        string // "", "fence", "console", "setup" or "skip" (an unmarked fence)
		indent    string // the opening fence's indentation
		cur       strings.Builder
		start     int
		lineNum   int
		fails     bool // a console block shows an sv error
		firstLine *docFence
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lineNum++
		l := sc.Text()
		switch in {
		case "fence", "console", "skip":
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				switch in {
				case "fence":
					blocks = append(blocks, docBlock{line: start, script: cur.String()})
				case "console":
					script := cur.String()
					if fails {
						cmds := strings.Split(strings.TrimSuffix(script, "\n"), "\n")
						cmds[len(cmds)-1] = "! " + cmds[len(cmds)-1]
						script = strings.Join(cmds, "\n") + "\n"
					}
					blocks = append(blocks, docBlock{line: start, script: script})
				}
				in, fails, firstLine = "", false, nil
				cur.Reset()
				continue
			}
			l = strings.TrimPrefix(l, indent)
			if firstLine != nil && firstLine.first == "" {
				firstLine.first = strings.TrimSpace(l)
			}
			switch in {
			case "fence":
				cur.WriteString(l + "\n")
			case "console":
				if cmd, ok := strings.CutPrefix(l, "$ "); ok {
					cur.WriteString(cmd + "\n")
				} else if strings.HasPrefix(l, "sv: error:") {
					fails = true
				}
			}
			continue
		case "setup":
			if strings.TrimSpace(l) == "-->" {
				blocks = append(blocks, docBlock{line: start, script: cur.String()})
				in = ""
				cur.Reset()
				continue
			}
			cur.WriteString(l + "\n")
			continue
		}
		t := strings.TrimSpace(l)
		switch {
		case t == "<!-- doctest -->":
			marked = true
		case t == "<!-- doctest-setup":
			in, start = "setup", lineNum+1
			marked = false
		case strings.HasPrefix(t, "```"):
			lang := strings.TrimPrefix(t, "```")
			indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
			if lang == "" {
				return nil, nil, fmt.Errorf("%s:%d: a fence needs a language (```text for output), so that no shell example hides in it", file, lineNum)
			}
			switch {
			case marked && (lang == "sh" || lang == "bash"):
				in, start = "fence", lineNum+1
			case marked && lang == "console":
				in, start = "console", lineNum+1
			case marked:
				return nil, nil, fmt.Errorf("%s:%d: a doctest block must be ```sh or ```console, not %q", file, lineNum, t)
			default:
				in = "skip"
				if shellLangs[lang] {
					unmarked = append(unmarked, docFence{line: lineNum, lang: lang})
					firstLine = &unmarked[len(unmarked)-1]
				}
			}
			marked = false
		case t != "":
			if marked {
				return nil, nil, fmt.Errorf("%s:%d: <!-- doctest --> must be followed by a ```sh block", file, lineNum-1)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if in != "" && in != "skip" {
		return nil, nil, fmt.Errorf("%s: unterminated doctest block starting at line %d", file, start)
	}
	return blocks, unmarked, nil
}

// expectFailures rewrites the lines "! CMD" of a block, which a reader
// pastes as they are, so that CMD succeeding fails the test: bash's set -e
// ignores the status of a command negated with "!".
func expectFailures(script string) string {
	lines := strings.Split(script, "\n")
	for i, l := range lines {
		if cmd, ok := strings.CutPrefix(l, "! "); ok {
			lines[i] = "if " + cmd + "\nthen echo 'doctest: expected this command to fail' >&2; exit 1; fi"
		}
	}
	return strings.Join(lines, "\n")
}

// TestDocs runs the marked shell examples of README.md and docs/*.md (see
// docBlocks) so they can't rot: each file's examples run in order in one
// bash with `set -e -o pipefail`, in a fresh directory, with sv on PATH,
// HOME pointing into the directory (so ~/.config/sops/age/keys.txt is
// fresh), no SOPS_* variables, git with an identity, and helm 4 and the
// pinned sops on PATH; hidden setups find the repository in $DOCTEST_REPO
// and Helm 3 in $DOCTEST_HELM3. README.md's quick start must be among
// them. Every other shell example must be marked too, or be listed in
// docExceptions with the reason it cannot run here.
func TestDocs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the examples are POSIX shell")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"README.md"}, files...)

	dir := t.TempDir()
	var scripts []string
	listed := map[string]bool{}
	for _, file := range files {
		blocks, unmarked, err := docBlocks(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range unmarked {
			if _, ok := docPending[file]; ok {
				continue
			}
			found := false
			for _, e := range docExceptions {
				if e.file == file && e.first == u.first {
					if listed[e.file+"\x00"+e.first] {
						t.Errorf("%s:%d: a second unmarked example starting %q: docExceptions entries name one example each", file, u.line, u.first)
					}
					found, listed[e.file+"\x00"+e.first] = true, true
				}
			}
			if !found {
				t.Errorf("%s:%d: a ```%s example that no test runs (first line %q): mark it <!-- doctest --> (with hidden <!-- doctest-setup … --> fixtures if needed), or list it in docExceptions with the reason it cannot run here", file, u.line, u.lang, u.first)
			}
		}
		if file == "README.md" {
			quick := false
			for _, b := range blocks {
				quick = quick || strings.Contains(b.script, "sv keygen -o ~/.config/sops/age/keys.txt")
			}
			if !quick {
				t.Errorf("README.md: the quick start (sv keygen -o ~/.config/sops/age/keys.txt …) is not marked <!-- doctest -->")
			}
		}
		if len(blocks) == 0 {
			continue
		}
		var sh strings.Builder
		for _, b := range blocks {
			fmt.Fprintf(&sh, "printf '%%s\\n' '### %s:%d' >&2\n%s", file, b.line, expectFailures(b.script))
		}
		name := strings.TrimSuffix(strings.ReplaceAll(file, "/", "_"), ".md")
		txtar := fmt.Sprintf("# examples of %s\nexec bash -e -o pipefail $WORK/doc.sh\n-- doc.sh --\n%s", file, sh.String())
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(txtar), 0o644); err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, name)
	}
	if len(scripts) == 0 {
		t.Fatal("no doctest blocks found")
	}
	for _, e := range docExceptions {
		if !listed[e.file+"\x00"+e.first] {
			t.Errorf("docExceptions: %s has no unmarked shell example starting %q any more; remove the entry", e.file, e.first)
		}
	}

	toolDirs := []string{
		filepath.Dir(tooltest.Sops(t)),
		filepath.Dir(tooltest.Tool(t, "tools/helm4/go.mod", "helm")),
	}
	// For hidden setups: the repository (testdata/chart, testdata/keys)
	// and Helm 3 (helm on PATH is Helm 4).
	root := tooltest.RepoRoot(t)
	helm3 := tooltest.Tool(t, "tools/helm3/go.mod", "helm")
	// README's demo builds sv: with the real Go caches, not the fresh HOME's.
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	gocaches := strings.Fields(string(goenv))
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", strings.Join(append(toolDirs, e.Getenv("PATH")), string(os.PathListSeparator)))
			vars := e.Vars[:0]
			for _, kv := range e.Vars {
				if !strings.HasPrefix(kv, "SOPS_") && !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "GIT_") {
					vars = append(vars, kv)
				}
			}
			e.Vars = vars
			e.Setenv("HOME", e.WorkDir+"/home")
			e.Setenv("XDG_CONFIG_HOME", e.WorkDir+"/home/.config")
			e.Setenv("DOCTEST_REPO", root)
			e.Setenv("DOCTEST_HELM3", helm3)
			for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				if i < len(gocaches) {
					e.Setenv(k, gocaches[i])
				}
			}
			for _, kv := range []string{
				"GIT_AUTHOR_NAME=Doc Test", "GIT_AUTHOR_EMAIL=doc@example.com",
				"GIT_COMMITTER_NAME=Doc Test", "GIT_COMMITTER_EMAIL=doc@example.com",
				"GIT_CONFIG_NOSYSTEM=1", "EDITOR=true",
			} {
				k, v, _ := strings.Cut(kv, "=")
				e.Setenv(k, v)
			}
			return os.MkdirAll(e.WorkDir+"/home", 0o755)
		},
	})
}

// TestDocBlocks checks the extraction rules on a small page: only marked
// sh and console blocks and setup comments are taken, "! CMD" must fail,
// a console block showing an sv error expects its last command to fail,
// and unmarked shell examples are reported.
func TestDocBlocks(t *testing.T) {
	page := "# t\n\n```sh\nnot run\n```\n\n<!-- doctest-setup\nsetup\n-->\n\n<!-- doctest -->\n```sh\nrun 1\n! must fail\n```\n\n```yaml\nx: 1\n```\n" +
		"\n<!-- doctest -->\n```console\n$ sv a\nout\n$ sv b\nsv: error: no\n```\n\n  ```powershell\n  Get-Thing\n  ```\n"
	file := filepath.Join(t.TempDir(), "p.md")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks, unmarked, err := docBlocks(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 || blocks[0].script != "setup\n" || blocks[1].script != "run 1\n! must fail\n" || blocks[1].line != 13 || blocks[2].script != "sv a\n! sv b\n" {
		t.Fatalf("blocks = %+v", blocks)
	}
	if len(unmarked) != 2 || unmarked[0] != (docFence{line: 3, lang: "sh", first: "not run"}) || unmarked[1] != (docFence{line: 29, lang: "powershell", first: "Get-Thing"}) {
		t.Fatalf("unmarked = %+v", unmarked)
	}
	if got := expectFailures(blocks[1].script); !strings.Contains(got, "if must fail\nthen") {
		t.Errorf("expectFailures: %q", got)
	}
	for _, bad := range []string{"<!-- doctest -->\n```yaml\nx: 1\n```\n", "```\nno language\n```\n"} {
		file := filepath.Join(t.TempDir(), "bad.md")
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := docBlocks(file); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
