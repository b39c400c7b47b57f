package gitrepo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A real git repository in a temp dir, with the machine's configuration
// kept out.
func newRepo(t *testing.T) *Repo {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(filepath.Join(work, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", work).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	r, err := Open(filepath.Join(work, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := filepath.EvalSymlinks(r.Root); got != mustEval(t, work) {
		t.Fatalf("root %q, want %q", r.Root, work)
	}
	return r
}

func mustEval(t *testing.T, p string) string {
	q, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func write(t *testing.T, r *Repo, name, text string) {
	t.Helper()
	p := filepath.Join(r.Root, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRepo(t *testing.T) {
	r := newRepo(t)
	write(t, r, ".gitignore", "ignored/\n")
	write(t, r, "ignored/x.yaml", "a: 1\n")
	write(t, r, "sub/a.yaml", "a: 1\n")
	write(t, r, "b c.yaml", "b: 1\n")
	write(t, r, ".gitattributes", "*.yaml diff=sv\n")

	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, ","); got != ".gitattributes,.gitignore,b c.yaml,sub/a.yaml" {
		t.Errorf("files %q", got)
	}

	if _, err := r.Git(nil, "add", "sub/a.yaml", "b c.yaml"); err != nil {
		t.Fatal(err)
	}
	write(t, r, "sub/a.yaml", "a: changed in the work tree\n")
	staged, err := r.Staged()
	if err != nil || strings.Join(staged, ",") != "b c.yaml,sub/a.yaml" {
		t.Errorf("staged %q %v", staged, err)
	}
	blob, err := r.StagedBlob("sub/a.yaml")
	if err != nil || string(blob) != "a: 1\n" {
		t.Errorf("staged blob %q %v", blob, err)
	}

	attrs, err := r.Attr("diff", []string{"sub/a.yaml", ".gitignore"})
	if err != nil || attrs["sub/a.yaml"] != "sv" || attrs[".gitignore"] != "unspecified" {
		t.Errorf("attrs %v %v", attrs, err)
	}

	if _, set, err := r.ConfigGet(Local, "diff.sv.textconv"); set || err != nil {
		t.Errorf("unset value: %v %v", set, err)
	}
	if err := r.ConfigSet(Local, "diff.sv.textconv", "sv textconv"); err != nil {
		t.Fatal(err)
	}
	if v, set, err := r.ConfigGet(Local, "diff.sv.textconv"); v != "sv textconv" || !set || err != nil {
		t.Errorf("got %q %v %v", v, set, err)
	}

	hook, err := r.HookPath("pre-commit")
	if err != nil || hook != filepath.Join(r.Root, ".git", "hooks", "pre-commit") {
		t.Errorf("hook %q %v", hook, err)
	}
	r.ConfigSet(Local, "core.hooksPath", "githooks")
	if hook, err := r.HookPath("pre-commit"); err != nil || hook != filepath.Join(r.Root, "githooks", "pre-commit") {
		t.Errorf("hook with core.hooksPath %q %v", hook, err)
	}
}

func TestNotRepo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	if _, err := Open(dir); !errors.Is(err, ErrNotRepo) {
		t.Fatalf("got %v", err)
	}
	var nilRepo *Repo
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	if _, set, err := nilRepo.ConfigGet(Global, "diff.sv.textconv"); set || err != nil {
		t.Errorf("global get outside a repository: %v %v", set, err)
	}
}
