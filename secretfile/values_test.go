package secretfile

import (
	"strings"
	"testing"
)

func TestEnvVars(t *testing.T) {
	src := `base: &base
  host: db.internal
  port: 5432
prod:
  <<: *base
  port: 6543
list:
  - a
  - k: v
alias: *base
"dotted.key": x
empty: ""
nothing:
`
	vars, err := EnvVarsYAML([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		got = append(got, v.Name+"="+v.Value)
	}
	want := []string{
		"BASE_HOST=db.internal", "BASE_PORT=5432",
		"PROD_PORT=6543", "PROD_HOST=db.internal",
		"LIST_0=a", "LIST_1_K=v",
		"ALIAS_HOST=db.internal", "ALIAS_PORT=5432",
		"DOTTED_KEY=x", "EMPTY=",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestEnvVarsErrors(t *testing.T) {
	for src, want := range map[string]string{
		"a.b: 1\na_b: 2\n":    `["a.b"] and a_b both become the environment variable A_B`,
		"9lives: x\n":         `9lives: "9LIVES" is not a valid environment variable name (use --prefix)`,
		"a: \"x\\0y\"\n":      `a: the value contains a NUL byte`,
		"a: 1\n---\na: 2\n":   `a and a both become the environment variable A`,
		"k: [1, 2]\nk_0: 3\n": `k[0] and k_0 both become the environment variable K_0`,
		"a: [unclosed\n":      `invalid YAML`,
		"x:\n  - &m {a: 1}\n": ``,
	} {
		_, err := EnvVarsYAML([]byte(src), "")
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func TestExtractValue(t *testing.T) {
	src := []byte("a: &x\n  b: \"two\"\n  n: 3\nc: *x\nl:\n  - p\n  - q\n")
	for path, want := range map[string]string{
		"a.b":        "two",
		`["a"]["b"]`: "two",
		"a.n":        "3\n",
		"c.b":        "two",
		"l[1]":       "q",
		`["l"][0]`:   "p",
		"a":          "b: \"two\"\nn: 3\n",
		"l":          "- p\n- q\n",
		"a.missing":  "error: a.missing: not found",
		"l[5]":       "error: l[5]: not found",
		"a.b.c":      "error: a.b.c: not found",
		"a..b":       "error: invalid value path",
	} {
		got, err := ExtractYAML(src, path)
		if strings.HasPrefix(want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(want, "error: ")) {
				t.Errorf("%s: got %q, %v; want %s", path, got, err, want)
			}
			continue
		}
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", path, got, err, want)
		}
	}
}
