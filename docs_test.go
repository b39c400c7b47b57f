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

// docBlocks extracts the examples of a Markdown file that are marked for
// testing:
//
//   - a fenced ```sh block right after a line "<!-- doctest -->" (shown to
//     readers and run);
//   - the body of a "<!-- doctest-setup" … "-->" comment (run, but hidden
//     from readers: fixtures such as a chart).
//
// All marked blocks of a file run in order in one shell, so later examples
// build on earlier ones, like a reader following the page.
func docBlocks(file string) ([]docBlock, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		blocks  []docBlock
		marked  bool   // previous non-empty line was <!-- doctest -->
		in      string // "", "fence", "setup" or "skip" (an unmarked fence)
		cur     strings.Builder
		start   int
		lineNum int
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lineNum++
		l := sc.Text()
		switch in {
		case "fence", "skip":
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				if in == "fence" {
					blocks = append(blocks, docBlock{line: start, script: cur.String()})
				}
				in = ""
				cur.Reset()
				continue
			}
			if in == "fence" {
				cur.WriteString(l + "\n")
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
			if marked {
				if lang := strings.TrimPrefix(t, "```"); lang != "sh" && lang != "bash" {
					return nil, fmt.Errorf("%s:%d: a doctest block must be ```sh, not %q", file, lineNum, t)
				}
				in, start = "fence", lineNum+1
			} else {
				in = "skip"
			}
			marked = false
		case t != "":
			if marked {
				return nil, fmt.Errorf("%s:%d: <!-- doctest --> must be followed by a ```sh block", file, lineNum-1)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if in != "" && in != "skip" {
		return nil, fmt.Errorf("%s: unterminated doctest block starting at line %d", file, start)
	}
	return blocks, nil
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
// pinned sops on PATH. README.md's quick start must be among them.
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
	for _, file := range files {
		blocks, err := docBlocks(file)
		if err != nil {
			t.Fatal(err)
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

	toolDirs := []string{
		filepath.Dir(tooltest.Sops(t)),
		filepath.Dir(tooltest.Tool(t, "tools/helm4/go.mod", "helm")),
	}
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
// sh blocks and setup comments are taken, and "! CMD" must fail.
func TestDocBlocks(t *testing.T) {
	page := "# t\n\n```sh\nnot run\n```\n\n<!-- doctest-setup\nsetup\n-->\n\n<!-- doctest -->\n```sh\nrun 1\n! must fail\n```\n\n```yaml\nx: 1\n```\n"
	file := filepath.Join(t.TempDir(), "p.md")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks, err := docBlocks(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].script != "setup\n" || blocks[1].script != "run 1\n! must fail\n" || blocks[1].line != 13 {
		t.Fatalf("blocks = %+v", blocks)
	}
	if got := expectFailures(blocks[1].script); !strings.Contains(got, "if must fail\nthen") {
		t.Errorf("expectFailures: %q", got)
	}
	bad := filepath.Join(t.TempDir(), "bad.md")
	if err := os.WriteFile(bad, []byte("<!-- doctest -->\n```yaml\nx: 1\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := docBlocks(bad); err == nil {
		t.Error("a doctest yaml block was accepted")
	}
}
