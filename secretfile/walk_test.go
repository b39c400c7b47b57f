package secretfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/gitrepo"
)

// isolateGit keeps the machine's git configuration out and stops git
// from finding a repository above dir.
func isolateGit(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@example.com")
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v %s", strings.Join(args, " "), err, out)
	}
}

func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	writeText(t, dir, "a: 1\n", names...)
}

func writeText(t *testing.T, dir, text string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree is the fixture: every kind of name the skip rule decides on.
var tree = []string{
	"a.yaml", "a/b.yaml", "B.YML", "c.json", "d.env", "e.ini", "f.txt", "g",
	".sops.yaml", ".sops.yml", "sub/.sops.yml", "sub/x.Json",
	".hidden/h.yaml", "sub/.hid/i.yaml", ".top.yaml",
}

// want is what every mode finds in tree (git's order: byte order of the
// slash path, "a.yaml" before "a/b.yaml").
var want = []string{".top.yaml", "B.YML", "a.yaml", "a/b.yaml", "c.json", "d.env", "e.ini", "sub/x.Json"}

func rels(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rel)
	}
	return out
}

func TestCandidate(t *testing.T) {
	for rel, ok := range map[string]bool{
		"a.yaml": true, "x/a.YAML": true, "a.yml": true, "a.json": true, "a.env": true, "a.ini": true,
		".env":  true, // a dotenv file named just so
		"a.txt": false, "a": false, "a.sops": false,
		".sops.yaml": false, ".sops.yml": false, "x/.sops.yml": false,
		".x/a.yaml": false, "x/.y/a.yaml": false, ".a.yaml": true, "./a.yaml": true, "../a.yaml": true,
	} {
		if got := Candidate(rel); got != ok {
			t.Errorf("Candidate(%q) = %v, want %v", rel, got, ok)
		}
	}
}

func TestWalkDir(t *testing.T) {
	dir := t.TempDir()
	isolateGit(t, dir)
	writeFiles(t, dir, tree...)
	if err := os.Symlink("a.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{Dir, Tree} { // no repository: Tree walks
		got, err := Walk([]string{dir}, mode)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rels(got), want) {
			t.Errorf("mode %d: %q, want %q", mode, rels(got), want)
		}
		if got[0].Path != filepath.Join(dir, ".top.yaml") || got[0].Explicit {
			t.Errorf("mode %d: first file %+v", mode, got[0])
		}
	}
	if _, err := Walk([]string{dir}, Tracked); !errors.Is(err, gitrepo.ErrNotRepo) {
		t.Errorf("Tracked outside a repository: %v, want ErrNotRepo", err)
	}
}

func TestWalkGit(t *testing.T) {
	dir := t.TempDir()
	isolateGit(t, dir)
	git(t, dir, "init", "-q")
	writeFiles(t, dir, tree...)
	writeFiles(t, dir, "ignored/j.yaml", "k.yaml", "untracked.yaml", "deleted.yaml")
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("ignored/\nk.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-f", "--", ".")
	git(t, dir, "rm", "-q", "--cached", "untracked.yaml")
	git(t, dir, "commit", "-q", "-m", "x")
	if err := os.Remove(filepath.Join(dir, "deleted.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, "ignored/u.yaml")

	// Tree: tracked files (ignored/j.yaml and k.yaml are, although
	// ignored), and untracked ones .gitignore does not exclude; not
	// deleted ones.
	wantTree := []string{".top.yaml", "B.YML", "a.yaml", "a/b.yaml", "c.json", "d.env", "e.ini",
		"ignored/j.yaml", "k.yaml", "sub/x.Json", "untracked.yaml"}
	// Dir walks the directory, whatever git says.
	wantDir := []string{".top.yaml", "B.YML", "a.yaml", "a/b.yaml", "c.json", "d.env", "e.ini",
		"ignored/j.yaml", "ignored/u.yaml", "k.yaml", "sub/x.Json", "untracked.yaml"}
	// Tracked: only what git tracks.
	wantTracked := []string{".top.yaml", "B.YML", "a.yaml", "a/b.yaml", "c.json", "d.env", "e.ini",
		"ignored/j.yaml", "k.yaml", "sub/x.Json"}
	for mode, want := range map[Mode][]string{Tree: wantTree, Dir: wantDir, Tracked: wantTracked} {
		got, err := Walk([]string{dir}, mode)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rels(got), want) {
			t.Errorf("mode %d: %q, want %q", mode, rels(got), want)
		}
	}

	// A subdirectory, named relative to the current directory, even a
	// hidden one: paths are the directory as named joined with Rel.
	t.Chdir(dir)
	got, err := Walk([]string{"sub", ".hidden", "a.yaml", "./a.yaml", "sub"}, Tree)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []File{
		{Path: filepath.Join("sub", "x.Json"), Rel: "x.Json"},
		{Path: filepath.Join(".hidden", "h.yaml"), Rel: "h.yaml"},
		{Path: "a.yaml", Rel: "a.yaml", Explicit: true},
	}
	if !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("Walk(sub, .hidden, a.yaml): %+v, want %+v", got, wantFiles)
	}
	// No paths: the current directory.
	got, err = Walk(nil, Tree)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), wantTree) || got[0].Path != ".top.yaml" {
		t.Errorf("Walk(nil): %+v", got)
	}
}

func TestWalkErrors(t *testing.T) {
	dir := t.TempDir()
	isolateGit(t, dir)
	_, err := Walk([]string{filepath.Join(dir, "nope")}, Tree)
	var we *Error
	if !errors.As(err, &we) || !errors.Is(err, fs.ErrNotExist) || err.Error() != filepath.Join(dir, "nope")+": no such file or directory" {
		t.Errorf("missing path: %v", err)
	}
	if _, err := Staged(dir); !errors.Is(err, gitrepo.ErrNotRepo) {
		t.Errorf("Staged outside a repository: %v, want ErrNotRepo", err)
	}
}

func TestStaged(t *testing.T) {
	dir := t.TempDir()
	isolateGit(t, dir)
	git(t, dir, "init", "-q")
	writeFiles(t, dir, "a.yaml", "sub/b.yaml", "sub/c.json", "sub/deep/d.yaml", "other/e.yaml", ".hidden/f.yaml", "notes.txt")
	git(t, dir, "add", "--", ".")
	git(t, dir, "commit", "-q", "-m", "x")

	// Nothing staged.
	st, err := Staged(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Files) != 0 || len(st.Configs) != 0 {
		t.Errorf("nothing staged: %+v", st)
	}

	// A changed file, one left unstaged, a staged text file, a staged
	// hidden one.
	writeText(t, dir, "a: 2\n", "a.yaml", "other/e.yaml", "notes.txt", ".hidden/f.yaml")
	git(t, dir, "add", "--", "a.yaml", "notes.txt", ".hidden/f.yaml")
	st, err = Staged(filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.Files, []string{"a.yaml"}) {
		t.Errorf("staged: %q", st.Files)
	}

	// A staged .sops.yml (either spelling) in sub: every file below it in
	// the index is checked too.
	writeFiles(t, dir, "sub/.sops.yml", ".sops.yaml")
	git(t, dir, "add", "--", "sub/.sops.yml")
	st, err = Staged(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "sub/b.yaml", "sub/c.json", "sub/deep/d.yaml"}; !reflect.DeepEqual(st.Files, want) {
		t.Errorf("staged with sub/.sops.yml: %q, want %q", st.Files, want)
	}
	if !reflect.DeepEqual(st.Configs, []string{"sub/.sops.yml"}) {
		t.Errorf("configs: %q", st.Configs)
	}
	// One at the top covers the whole index.
	git(t, dir, "add", "--", ".sops.yaml")
	st, err = Staged(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "other/e.yaml", "sub/b.yaml", "sub/c.json", "sub/deep/d.yaml"}; !reflect.DeepEqual(st.Files, want) {
		t.Errorf("staged with .sops.yaml: %q, want %q", st.Files, want)
	}
	if !reflect.DeepEqual(st.Configs, []string{".sops.yaml", "sub/.sops.yml"}) {
		t.Errorf("configs: %q", st.Configs)
	}
}

// TestWalkByContent: files with other names are found when their content
// is a sops binary envelope, or a sops dotenv file named like
// .env.production; look-alikes and other files are not.
func TestWalkByContent(t *testing.T) {
	dir := t.TempDir()
	isolateGit(t, dir)
	envelope := "{\n\t\"data\": \"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\",\n\t\"sops\": {\"lastmodified\": \"t\", \"mac\": \"m\"}\n}\n"
	writeText(t, dir, envelope, "tls.crt", "keys/id_rsa", ".hidden/k.crt")
	writeText(t, dir, "TOKEN=ENC[x]\nsops_lastmodified=t\nsops_mac=m\n", ".env.production", "app.env.local")
	writeText(t, dir, "TOKEN=plain\n", ".env.plain")
	writeText(t, dir, `{"data": "x", "other": 1}`, "fake.bin")
	writeText(t, dir, envelope, "big.txt")
	writeText(t, dir, "hello\n", "notes.txt")
	if err := os.Symlink("tls.crt", filepath.Join(dir, "link.crt")); err != nil {
		t.Fatal(err)
	}
	wantFound := []string{".env.production", "app.env.local", "big.txt", "keys/id_rsa", "tls.crt"}
	for _, mode := range []Mode{Dir, Tree} {
		got, err := Walk([]string{dir}, mode)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rels(got), wantFound) {
			t.Errorf("mode %d: %q, want %q", mode, rels(got), wantFound)
		}
	}
	git(t, dir, "init", "-q")
	got, err := Walk([]string{dir}, Tree)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rels(got), wantFound) {
		t.Errorf("git: %q, want %q", rels(got), wantFound)
	}
	if f := FormatOf(".env.production", []byte("TOKEN=ENC[x]\nsops_lastmodified=t\nsops_mac=m\n"), FormatAuto); f != FormatDotenv {
		t.Errorf("FormatOf(.env.production) = %s, want dotenv", f)
	}
	if f := FormatOf(".env.production", []byte("TOKEN=plain\n"), FormatAuto); f != FormatBinary {
		t.Errorf("FormatOf(plaintext .env.production) = %s, want binary (as sops)", f)
	}
}
