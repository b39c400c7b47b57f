package gitattr

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var regexCases = []struct {
	re    string
	globs []string // nil: no glob possible
}{
	{`\.enc\.yaml$`, []string{"*.enc.yaml"}},
	{`.*\.enc\.yaml$`, []string{"*.enc.yaml"}},
	{`(^|/)values\.prod\.yaml$`, []string{"values.prod.yaml"}},
	{`^values\.yaml$`, []string{"/values.yaml"}},
	{`^secrets/`, []string{"secrets/**"}},
	{`secrets/.*\.yaml$`, []string{"**/*secrets/**/*.yaml"}},
	{`(^|/)secrets/.*\.yaml$`, []string{"**/secrets/**/*.yaml"}},
	{`.*/prod/.*`, []string{"**/*/prod/**"}},
	{`\.ya?ml$`, []string{"*.yaml", "*.yml"}},
	{`(dev|prod)/.*\.yaml$`, []string{"**/*dev/**/*.yaml", "**/*prod/**/*.yaml"}},
	{`.*.yaml`, []string{"*?yaml*"}},
	{`secret[s]?\.yaml$`, []string{"*secrets.yaml", "*secret.yaml"}},
	{`values\.[a-z]+\.yaml$`, nil}, // [a-z]+ is not [a-z]
	{`[^/]*\.secret\.yaml$`, []string{"*.secret.yaml"}},
	{`(?i)\.yaml$`, nil},
	{`^a$|^b$`, []string{"/a", "/b"}},
	{`x{2,}`, nil},
	{``, nil},
	{`.*`, nil},
	{`my file\.yaml$`, nil},
}

func TestGlobs(t *testing.T) {
	for _, tc := range regexCases {
		got, ok := Globs(tc.re)
		if tc.globs == nil {
			if ok {
				t.Errorf("%q: got %q, want no glob", tc.re, got)
			}
			continue
		}
		if !ok || strings.Join(got, " ") != strings.Join(tc.globs, " ") {
			t.Errorf("%q: got %q (%v), want %q", tc.re, got, ok, tc.globs)
		}
	}
}

// The globs must cover every sample path the regex matches, as the real git
// decides with check-attr.
func TestGlobsAgainstGit(t *testing.T) {
	paths := []string{
		"values.yaml", "values.prod.yaml", "secrets/db.yaml", "secrets/nested/api.yaml",
		"app/secrets/x.yaml", "mysecrets/a.yaml", "a.enc.yaml", "deep/dir/b.enc.yaml",
		"prod/values.yaml", "env/prod/values.yaml", "dev/x.yml", "x.yml", "README.md",
		"secrets.yaml", "charts/app/values.secret.yaml", "a", "b", "sub/a",
		"charts/app/values.prod.yaml", "secret.yaml", "env/dev/db.yaml",
	}
	for _, tc := range regexCases {
		if tc.globs == nil {
			continue
		}
		t.Run(tc.re, func(t *testing.T) {
			dir := t.TempDir()
			gitRun(t, dir, nil, "init", "-q")
			var attrs strings.Builder
			for _, g := range tc.globs {
				attrs.WriteString(g + " sv-test\n")
			}
			if err := os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte(attrs.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			out := gitRun(t, dir, []byte(strings.Join(paths, "\n")+"\n"), "check-attr", "--stdin", "sv-test")
			covered := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if strings.HasSuffix(l, ": sv-test: set") {
					covered[strings.TrimSuffix(l, ": sv-test: set")] = true
				}
			}
			re := regexp.MustCompile(tc.re)
			var missed, extra []string
			for _, p := range paths {
				switch m := re.MatchString(p); {
				case m && !covered[p]:
					missed = append(missed, p)
				case !m && covered[p]:
					extra = append(extra, p)
				}
			}
			sort.Strings(missed)
			if len(missed) > 0 {
				t.Errorf("globs %q miss %q", tc.globs, missed)
			}
			if len(extra) > 0 {
				t.Logf("globs %q also cover %q", tc.globs, extra)
			}
		})
	}
}

func gitRun(t *testing.T, dir string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

func TestAdd(t *testing.T) {
	lines := []Line{{"*.enc.yaml", []string{"diff=sv", "merge=sv"}}, {"/values.yaml", []string{"diff=sv", "merge=sv"}}}
	text, added := Add("*.png binary", "# sv", lines)
	if len(added) != 2 || text != "*.png binary\n# sv\n*.enc.yaml diff=sv merge=sv\n/values.yaml diff=sv merge=sv\n" {
		t.Fatalf("got %q %v", text, added)
	}
	again, added := Add(text, "# sv", lines)
	if again != text || added != nil {
		t.Fatalf("not idempotent: %q %v", again, added)
	}
	// A pattern present with other attributes gets its own line.
	text, added = Add("*.enc.yaml   diff=sv\n", "# sv", lines[:1])
	if len(added) != 1 || !strings.HasSuffix(text, "# sv\n*.enc.yaml diff=sv merge=sv\n") {
		t.Fatalf("got %q", text)
	}
}

func TestPrefix(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "*.enc.yaml", "*.enc.yaml"},
		{"deploy", "*.enc.yaml", "deploy/**/*.enc.yaml"},
		{"deploy", "/values.yaml", "deploy/values.yaml"},
		{"deploy/", "secrets/**", "deploy/secrets/**"},
		{"deploy", "**/*/prod/**", "deploy/**/*/prod/**"},
	} {
		if got := Prefix(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Prefix(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
