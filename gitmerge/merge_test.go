package gitmerge

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/tooltest"
	"github.com/sv-secrets/sv/yamlwalk"
)

const base = `# Database
db:
  user: app
  password: old-pass
  port: 5432
api:
  token: tok-1
hosts:
  - a.example.com
  - b.example.com
`

func TestMergeClean(t *testing.T) {
	for _, tc := range []struct {
		name, ours, theirs, want string
	}{
		{
			name:   "adjacent values",
			ours:   strings.Replace(base, "user: app", "user: app2", 1),
			theirs: strings.Replace(base, "password: old-pass", "password: new-pass", 1),
			want:   strings.Replace(strings.Replace(base, "user: app", "user: app2", 1), "password: old-pass", "password: new-pass", 1),
		},
		{
			name:   "same change on both sides",
			ours:   strings.Replace(base, "old-pass", "same", 1),
			theirs: strings.Replace(base, "old-pass", "same", 1),
			want:   strings.Replace(base, "old-pass", "same", 1),
		},
		{
			name:   "value and inline comment on one line",
			ours:   strings.Replace(base, "password: old-pass", "password: old-pass # rotated soon", 1),
			theirs: strings.Replace(base, "password: old-pass", "password: 'new-pass'", 1),
			want:   strings.Replace(base, "password: old-pass", "password: 'new-pass' # rotated soon", 1),
		},
		{
			name:   "added keys in different mappings",
			ours:   strings.Replace(base, "  port: 5432\n", "  port: 5432\n  name: main\n", 1),
			theirs: strings.Replace(base, "  token: tok-1\n", "  token: tok-1\n  secret: s\n", 1),
			want:   strings.Replace(strings.Replace(base, "  port: 5432\n", "  port: 5432\n  name: main\n", 1), "  token: tok-1\n", "  token: tok-1\n  secret: s\n", 1),
		},
		{
			name:   "removed key next to a changed one",
			ours:   strings.Replace(base, "  user: app\n", "", 1),
			theirs: strings.Replace(base, "old-pass", "new-pass", 1),
			want:   strings.Replace(strings.Replace(base, "  user: app\n", "", 1), "old-pass", "new-pass", 1),
		},
		{
			name:   "sequence items at both ends",
			ours:   strings.Replace(base, "hosts:\n", "hosts:\n  - first.example.com\n", 1),
			theirs: base + "  - c.example.com\n",
			want:   strings.Replace(base, "hosts:\n", "hosts:\n  - first.example.com\n", 1) + "  - c.example.com\n",
		},
		{
			name:   "block scalar",
			ours:   base + "cert: |\n  line1\n  line2\n",
			theirs: strings.Replace(base, "tok-1", "tok-2", 1),
			want:   strings.Replace(base, "tok-1", "tok-2", 1) + "cert: |\n  line1\n  line2\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Merge([]byte(base), []byte(tc.ours), []byte(tc.theirs))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Conflicts) > 0 {
				t.Fatalf("conflicts: %v", res.Paths())
			}
			if string(res.Text) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", res.Text, tc.want)
			}
		})
	}
}

func TestMergeBlockScalars(t *testing.T) {
	o := "a: 1\ncert: |\n  line1\n  line2\nb: 2\n"
	ours := "a: 10\ncert: |\n  line1\n  line2\nb: 2\n"
	theirs := "a: 1\ncert: |\n  other\n  lines\n  here\nb: 2\n"
	res, err := Merge([]byte(o), []byte(ours), []byte(theirs))
	if err != nil {
		t.Fatal(err)
	}
	want := "a: 10\ncert: |\n  other\n  lines\n  here\nb: 2\n"
	if string(res.Text) != want || len(res.Conflicts) > 0 {
		t.Errorf("got %q %v, want %q", res.Text, res.Paths(), want)
	}
}

func TestMergeConflicts(t *testing.T) {
	for _, tc := range []struct {
		name, ours, theirs string
		paths              []string
	}{
		{
			name:   "one value changed differently",
			ours:   strings.Replace(base, "old-pass", "ours-pass", 1),
			theirs: strings.Replace(base, "old-pass", "theirs-pass", 1),
			paths:  []string{"db.password"},
		},
		{
			name:   "changed on one side, removed on the other",
			ours:   strings.Replace(base, "old-pass", "ours-pass", 1),
			theirs: strings.Replace(base, "  password: old-pass\n", "", 1),
			paths:  []string{"db.password"},
		},
		{
			name:   "different keys added at one place",
			ours:   strings.Replace(base, "  port: 5432\n", "  port: 5432\n  x: 1\n", 1),
			theirs: strings.Replace(base, "  port: 5432\n", "  port: 5432\n  y: 2\n", 1),
			paths:  []string{"db.x", "db.y"},
		},
		{
			name:   "sequence item changed differently",
			ours:   strings.Replace(base, "a.example.com", "x.example.com", 1),
			theirs: strings.Replace(base, "a.example.com", "y.example.com", 1),
			paths:  []string{"hosts[0]"},
		},
		{
			name:   "comment",
			ours:   strings.Replace(base, "# Database", "# DB ours", 1),
			theirs: strings.Replace(base, "# Database", "# DB theirs", 1),
			paths:  []string{"line 1 (no values: comments or structure)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Merge([]byte(base), []byte(tc.ours), []byte(tc.theirs))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Conflicts) == 0 {
				t.Fatalf("no conflict; merged:\n%s", res.Text)
			}
			if res.Text != nil {
				t.Error("text returned with conflicts")
			}
			got := res.Paths()
			if tc.paths != nil && strings.Join(got, "|") != strings.Join(tc.paths, "|") {
				t.Errorf("paths %q, want %q", got, tc.paths)
			}
			for _, p := range got {
				for _, v := range []string{"ours-pass", "theirs-pass", "old-pass"} {
					if strings.Contains(p, v) {
						t.Errorf("conflict description %q holds a value", p)
					}
				}
			}
		})
	}
}

func TestMergeDuplicateKeyConflict(t *testing.T) {
	o := "a: 1\nb: 2\nc: 3\n"
	ours := "a: 1\nnew: val-ours\nb: 2\nc: 3\n"
	theirs := "a: 1\nb: 2\nc: 3\nnew: val-theirs\n"
	res, err := Merge([]byte(o), []byte(ours), []byte(theirs))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || !strings.Contains(res.Conflicts[0].Reason, "new: duplicate key") || strings.Contains(res.Conflicts[0].Reason, "val-") {
		t.Errorf("conflicts %+v", res.Conflicts)
	}
}

func TestMergeMultiDocAndEmptyBase(t *testing.T) {
	o := "a: 1\n---\na: 1\nb: 2\n"
	res, err := Merge([]byte(o), []byte("a: 1\n---\na: 5\nb: 2\n"), []byte("a: 1\n---\na: 6\nb: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Paths(), ",") != "a (document 2)" {
		t.Errorf("paths %q", res.Paths())
	}
	res, err = Merge(nil, []byte("a: 1\n"), []byte("a: 1\n"))
	if err != nil || string(res.Text) != "a: 1\n" {
		t.Errorf("add/add same: %q %v", res.Text, err)
	}
	res, err = Merge(nil, []byte("a: 1\n"), []byte("a: 2\n"))
	if err != nil || len(res.Conflicts) == 0 || res.Paths()[0] != "a" {
		t.Errorf("add/add different: %+v %v", res, err)
	}
	if _, err := Merge([]byte(o), []byte("a: [\n"), []byte(o)); err == nil || !strings.HasPrefix(err.Error(), "ours: ") {
		t.Errorf("bad ours: %v", err)
	}
}

func TestMergeCRLF(t *testing.T) {
	o := "a: 1\r\nb: 2\r\n"
	res, err := Merge([]byte(o), []byte("a: 3\r\nb: 2\r\n"), []byte("a: 1\r\nb: 4\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Text) != "a: 3\r\nb: 4\r\n" {
		t.Errorf("got %q", res.Text)
	}
}

// lcsLen is the textbook dynamic programme, to check myers against.
func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func randLines(r *rand.Rand, n, alphabet int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("l%d\n", r.Intn(alphabet))
	}
	return out
}

func TestMatchIsLongestCommonSubsequence(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for it := 0; it < 2000; it++ {
		a, b := randLines(r, r.Intn(15), 4), randLines(r, r.Intn(15), 4)
		m := match(a, b)
		n, last := 0, -1
		for i, j := range m {
			if j < 0 {
				continue
			}
			if j <= last || a[i] != b[j] {
				t.Fatalf("bad pairing %v for %q / %q", m, a, b)
			}
			last = j
			n++
		}
		if want := lcsLen(a, b); n != want {
			t.Fatalf("matched %d lines, LCS is %d, for %q / %q", n, want, a, b)
		}
	}
}

// Edits in separate regions of a text of unique lines always merge to
// both edits applied; a side equal to base gives the other side.
func TestMerge3Properties(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for it := 0; it < 1000; it++ {
		n := 6 + r.Intn(30)
		o := make([]string, n)
		for i := range o {
			o[i] = fmt.Sprintf("line %d\n", i)
		}
		// ours edits [0, cut-1), theirs edits [cut, n): one untouched line between.
		cut := 2 + r.Intn(n-4)
		edit := func(lo, hi int, tag string) []string {
			out := append([]string{}, o[:lo]...)
			for i := lo; i < hi; i++ {
				switch r.Intn(4) {
				case 0: // delete
				case 1:
					out = append(out, fmt.Sprintf("%s changed %d\n", tag, i))
				case 2:
					out = append(out, o[i], fmt.Sprintf("%s added %d\n", tag, i))
				default:
					out = append(out, o[i])
				}
			}
			return append(out, o[hi:]...)
		}
		a := edit(0, cut-1, "ours")
		b := edit(cut, n, "theirs")
		got, conflicts := merge3(o, a, b)
		want := append(append([]string{}, a[:len(a)-(n-cut+1)]...), o[cut-1])
		want = append(want, b[cut:]...)
		if len(conflicts) > 0 || !equal(got, want) {
			t.Fatalf("o=%q\na=%q\nb=%q\ngot=%q (%d conflicts)\nwant=%q", o, a, b, got, len(conflicts), want)
		}
		if got, c := merge3(o, a, o); len(c) > 0 || !equal(got, a) {
			t.Fatal("merge(o, a, o) != a")
		}
		if got, c := merge3(o, o, b); len(c) > 0 || !equal(got, b) {
			t.Fatal("merge(o, o, b) != b")
		}
		if got, c := merge3(o, a, a); len(c) > 0 || !equal(got, a) {
			t.Fatal("merge(o, a, a) != a")
		}
	}
}

func TestLinesRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n"} {
		if got := strings.Join(lines([]byte(s)), ""); got != s {
			t.Errorf("%q -> %q", s, got)
		}
	}
}

// BenchmarkMergeCorpus merges the largest real values file (argo-cd, about
// 180 KB) with one value changed on each side, far apart.
func BenchmarkMergeCorpus(b *testing.B) {
	base, err := os.ReadFile(filepath.Join(tooltest.RepoRoot(b), "testdata", "corpus", "argo-cd.values.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	ss, err := yamlwalk.Scalars(base)
	if err != nil {
		b.Fatal(err)
	}
	var first, last yamlwalk.Scalar
	for _, s := range ss {
		if s.Start >= 0 && !s.InSequence {
			if first.End == 0 {
				first = s
			}
			last = s
		}
	}
	edit := func(s yamlwalk.Scalar, v string) []byte {
		return []byte(string(base[:s.Start]) + v + string(base[s.End:]))
	}
	ours, theirs := edit(first, "ours-changed"), edit(last, "theirs-changed")
	b.SetBytes(int64(len(base)))
	for b.Loop() {
		res, err := Merge(base, ours, theirs)
		if err != nil || len(res.Conflicts) > 0 {
			b.Fatal(err, res.Paths())
		}
	}
}
