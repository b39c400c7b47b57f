package audit

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRawHeader(t *testing.T) {
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	e, n, err := parseRawHeader(":100644 100644 " + a + " " + b + " M")
	if err != nil || n != 1 || e.olds[0] != a || e.new != b || e.status != "M" || e.oldModes[0] != "100644" {
		t.Errorf("modify: %+v %d %v", e, n, err)
	}
	e, n, err = parseRawHeader(":100644 100644 " + a + " " + b + " R087")
	if err != nil || n != 2 || e.status != "R087" {
		t.Errorf("rename: %+v %d %v", e, n, err)
	}
	e, n, err = parseRawHeader("::100644 100644 100644 " + a + " " + b + " " + c + " MM")
	if err != nil || n != 1 || !reflect.DeepEqual(e.olds, []string{a, b}) || e.new != c {
		t.Errorf("merge: %+v %d %v", e, n, err)
	}
	if _, _, err := parseRawHeader(":100644 " + a + " M"); err == nil {
		t.Error("short header accepted")
	}
}

func TestLogReader(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	stream := "\x01" + a + "\x00" + b + "\x002026-01-02T03:04:05+01:00\x00Ann Example\x00ann@example.com\x00\x00" +
		"\n:000000 100644 " + strings.Repeat("0", 40) + " " + b + " A\x00dir/with space\nnewline.yaml\x00" +
		":100644 100644 " + a + " " + b + " R100\x00old.yaml\x00:odd.yaml\x00" +
		"\x01" + b + "\x00\x002026-01-01T00:00:00Z\x00\x00\x00\x00"
	lr := &logReader{r: bufio.NewReader(strings.NewReader(stream))}
	c, es, err := lr.next()
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash != a || !reflect.DeepEqual(c.Parents, []string{b}) || c.Author != "Ann Example" || c.Email != "ann@example.com" || c.Date.Unix() != 1767319445 {
		t.Errorf("commit: %+v", c)
	}
	if len(es) != 2 || es[0].path != "dir/with space\nnewline.yaml" || es[1].path != ":odd.yaml" || es[1].oldPath != "old.yaml" {
		t.Errorf("entries: %+v", es)
	}
	c, es, err = lr.next()
	if err != nil || c.Hash != b || len(c.Parents) != 0 || len(es) != 0 || c.Author != "" {
		t.Errorf("root commit: %+v %+v %v", c, es, err)
	}
	if _, _, err := lr.next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	lr = &logReader{r: bufio.NewReader(strings.NewReader("garbage\x00"))}
	if _, _, err := lr.next(); err == nil {
		t.Error("garbage accepted")
	}
}

// gitRepo is a scratch repository driven by the real git.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *gitRepo {
	t.Helper()
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_AUTHOR_NAME", "Ann")
	t.Setenv("GIT_AUTHOR_EMAIL", "ann@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "Ann")
	t.Setenv("GIT_COMMITTER_EMAIL", "ann@example.com")
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (r *gitRepo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit commits everything at the given day of January 2020.
func (r *gitRepo) commit(day int, msg string) {
	r.t.Helper()
	d := time.Date(2020, 1, day, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)
	r.t.Setenv("GIT_AUTHOR_DATE", d)
	r.t.Setenv("GIT_COMMITTER_DATE", d)
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

func encFile(vals ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(vals); i += 2 {
		b.WriteString(vals[i] + ": " + enc(vals[i+1]) + "\n")
	}
	return b.String() + sopsBlock("k1", "age1alice")
}

type logLine struct {
	day  int
	file string
	ev   string
}

func walkAll(t *testing.T, h *History, opt Options) []logLine {
	t.Helper()
	var out []logLine
	err := h.Walk(context.Background(), opt, func(fc *FileChange) error {
		for _, e := range fc.Events {
			out = append(out, logLine{fc.Commit.Date.Day(), fc.File, e.String()})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWalkAndAges(t *testing.T) {
	r := newRepo(t)
	r.write("prod/a.yaml", encFile("x", "x1", "y", "y1"))
	r.write("odd name ü.yaml", encFile("k", "k1"))
	r.write("plain.txt", "not yaml\n")
	r.commit(1, "one")
	r.write("prod/a.yaml", encFile("x", "x2", "y", "y1"))
	r.commit(2, "x to x2")
	r.write("prod/a.yaml", encFile("x", "x1", "y", "y1")) // back to x1: a revert
	r.write("odd name ü.yaml", encFile("k", "k2"))
	r.commit(3, "revert x, change k")
	r.git("mv", "prod/a.yaml", "prod/b.yaml")
	r.commit(4, "rename")
	r.write("prod/b.yaml", encFile("x", "x1", "y", "y2"))
	r.commit(5, "y to y2")

	h, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	got := walkAll(t, h, Options{})
	want := []logLine{
		{5, "prod/b.yaml", "y changed"},
		{3, "odd name ü.yaml", "k changed"},
		{3, "prod/a.yaml", "x changed"},
		{2, "prod/a.yaml", "x changed"},
		{1, "odd name ü.yaml", "k added"},
		{1, "prod/a.yaml", "x added"},
		{1, "prod/a.yaml", "y added"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk:\ngot  %v\nwant %v", got, want)
	}

	// Keep one file: its older name is followed.
	got = walkAll(t, h, Options{Keep: func(p string) bool { return p == "prod/b.yaml" }})
	if len(got) != 5 || got[len(got)-1].file != "prod/a.yaml" {
		t.Errorf("followed rename: %v", got)
	}
	got = walkAll(t, h, Options{Since: time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC)})
	if len(got) != 3 {
		t.Errorf("since: %v", got)
	}

	// Ages: x was set back to its first ciphertext, so it is as old as
	// that; y changed on day 5; an uncommitted change is reported as such.
	cur, _ := os.ReadFile(filepath.Join(r.dir, "prod/b.yaml"))
	odd := encFile("k", "k3")
	ages, err := h.Ages(context.Background(), map[string][]byte{"prod/b.yaml": cur, "odd name ü.yaml": []byte(odd)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := func(a Age) int { return a.Changed.Day() }
	b := ages["prod/b.yaml"]
	if len(b) != 2 || b[0].Path != "x" || day(b[0]) != 1 || b[1].Path != "y" || day(b[1]) != 5 || b[0].Uncommitted || b[0].Commit == "" {
		t.Errorf("ages: %+v", b)
	}
	if k := ages["odd name ü.yaml"]; len(k) != 1 || !k[0].Uncommitted {
		t.Errorf("uncommitted: %+v", k)
	}

	// A rotation keeps the values: ages trace back through it.
	r.write("prod/b.yaml", "x: "+enc("x9")+"\ny: "+enc("y9")+"\n"+sopsBlock("k9", "age1alice"))
	r.commit(6, "rotate")
	cur, _ = os.ReadFile(filepath.Join(r.dir, "prod/b.yaml"))
	ages, err = h.Ages(context.Background(), map[string][]byte{"prod/b.yaml": cur}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := ages["prod/b.yaml"]; day(b[0]) != 1 || day(b[1]) != 5 || b[1].Rotated.Day() != 6 {
		t.Errorf("ages after rotation: %+v", b)
	}
}

func TestWalkEmptyAndShallow(t *testing.T) {
	r := newRepo(t)
	h, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := walkAll(t, h, Options{}); len(got) != 0 {
		t.Errorf("empty repository: %v", got)
	}
	if b, err := h.Shallow(); err != nil || len(b) != 0 {
		t.Errorf("not shallow: %v %v", b, err)
	}
	r.write("a.yaml", encFile("x", "x1"))
	r.commit(1, "one")
	r.write("a.yaml", encFile("x", "x2"))
	r.commit(2, "two")
	r.write("a.yaml", encFile("x", "x3"))
	r.commit(3, "three")

	clone := t.TempDir()
	cmd := exec.Command("git", "clone", "-q", "--depth", "2", "file://"+r.dir, clone)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	h, err = Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Shallow()
	if err != nil || len(b) != 1 || b[0].Date.Day() != 2 {
		t.Fatalf("horizon: %+v %v", b, err)
	}
	got := walkAll(t, h, Options{})
	want := []logLine{{3, "a.yaml", "x changed"}, {2, "a.yaml", "history starts here (shallow clone): 1 value present"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shallow walk:\ngot  %v\nwant %v", got, want)
	}
}
