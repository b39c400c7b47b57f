package yamlwalk

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseValuePath(t *testing.T) {
	good := map[string]string{
		"db.password":              "db.password",
		`["db"]["password"]`:       "db.password",
		`['db']['password']`:       "db.password",
		"hosts[0].name":            "hosts[0].name",
		`["hosts"][0]["name"]`:     "hosts[0].name",
		`a["key.with.dots"].b`:     `a["key.with.dots"].b`,
		`["a\"b"]`:                 `["a\"b"]`,
		"top":                      "top",
		"list[10]":                 "list[10]",
		`ingress["nginx.io/x"][1]`: `ingress["nginx.io/x"][1]`,
	}
	for in, want := range good {
		p, err := ParseValuePath(in)
		if err != nil {
			t.Errorf("ParseValuePath(%q): %v", in, err)
			continue
		}
		if got := p.String(); got != want {
			t.Errorf("ParseValuePath(%q).String() = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"", ".a", "a.", "a..b", "a[", "a[x]", `a["b`, "a]", "a[0]b", "a.[0]", `["a"`, "a[1234567890]"} {
		if _, err := ParseValuePath(in); err == nil {
			t.Errorf("ParseValuePath(%q): no error", in)
		}
	}
}

const setSrc = `# top comment
db:
  host: db.internal   # the primary
  password: "old"
  port: 5432
  empty:
  nothing: ~
  flow: {a: 1}
  obj: {}
hosts:
  - name: a
    port: 1
  - b
tls:
  key: |
    line1
    line2
other: x
`

func TestSetValue(t *testing.T) {
	cases := []struct {
		path, typ, value string
		want             string // the lines that differ: old => new
	}{
		{"db.password", "str", "new secret", `  password: "new secret"`},
		{"db.host", "str", "db2.internal", "  host: db2.internal   # the primary"},
		{"db.host", "str", "needs: quoting", `  host: 'needs: quoting'   # the primary`},
		{"db.port", "int", "6543", "  port: 6543"},
		{"db.port", "str", "6543", `  port: "6543"`},
		{"db.port", "float", "1.0", "  port: 1.0"},
		{"db.port", "bool", "TRUE", "  port: true"},
		{"db.empty", "str", "filled", "  empty: filled"},
		{"db.nothing", "int", "7", "  nothing: 7"},
		{"hosts[0].name", "str", "z", "  - name: z"},
		{"hosts[1]", "str", "c", "  - c"},
		{`["db"]["password"]`, "str", "x", `  password: "x"`},
	}
	for _, c := range cases {
		p, err := ParseValuePath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := SetValue([]byte(setSrc), p, c.typ, c.value)
		if err != nil {
			t.Errorf("SetValue(%s, %s): %v", c.path, c.typ, err)
			continue
		}
		if d := changedLines(setSrc, string(out)); d != c.want {
			t.Errorf("SetValue(%s, %s): changed lines %q, want %q", c.path, c.typ, d, c.want)
		}
	}
}

func TestSetValueMultiline(t *testing.T) {
	p, _ := ParseValuePath("tls.key")
	out, err := SetValue([]byte(setSrc), p, "str", "new1\nnew2\nnew3\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "  key: |\n    new1\n    new2\n    new3\nother: x\n") {
		t.Errorf("literal block not kept:\n%s", out)
	}
}

func TestSetValueCreates(t *testing.T) {
	cases := []struct{ path, value, want string }{
		// New key at the end of an existing block mapping.
		{"db.user", "admin", "  obj: {}\n  user: admin\nhosts:"},
		// New nested keys.
		{"db.creds.user", "admin", "  obj: {}\n  creds:\n    user: admin\nhosts:"},
		// At the root, after the last entry.
		{"new.deep.key", "v", "other: x\nnew:\n  deep:\n    key: v\n"},
		// Under a null value and an empty mapping.
		{"db.empty.sub", "v", "  empty:\n    sub: v\n  nothing: ~"},
		{"db.nothing.sub", "v", "  nothing:\n    sub: v\n  flow:"},
		{"db.obj.sub", "v", "  obj:\n    sub: v\nhosts:"},
		// In a sequence item's mapping.
		{"hosts[0].user", "u", "    port: 1\n    user: u\n  - b"},
		// Keys and values that need quoting.
		{`db["a.b"]`, "x y: z", "  a.b: 'x y: z'\nhosts:"},
		{`db["a: b"]`, "v", "  \"a: b\": v\nhosts:"},
		{"db.multi", "l1\nl2\n", "  multi: |\n    l1\n    l2\nhosts:"},
	}
	for _, c := range cases {
		p, err := ParseValuePath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := SetValue([]byte(setSrc), p, "str", c.value)
		if err != nil {
			t.Errorf("SetValue(%s): %v", c.path, err)
			continue
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("SetValue(%s): want %q in\n%s", c.path, c.want, out)
		}
	}
}

func TestSetValueEmptyDocument(t *testing.T) {
	for _, src := range []string{"", "---\n", "{}\n"} {
		p, _ := ParseValuePath("a.b")
		out, err := SetValue([]byte(src), p, "int", "1")
		if src == "" {
			if !errors.Is(err, ErrEmpty) {
				t.Errorf("SetValue on an empty file: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("SetValue(%q): %v", src, err)
			continue
		}
		if !strings.Contains(string(out), "a:\n  b: 1\n") {
			t.Errorf("SetValue(%q) = %q", src, out)
		}
	}
}

func TestSetValueErrors(t *testing.T) {
	cases := map[string]string{
		"db":              "replaces scalar values only",
		"hosts":           "replaces scalar values only",
		"db.flow.b":       "flow mapping",
		"hosts[5]":        "no such item",
		"hosts[1].x":      "not a mapping",
		"db.password.x":   "not a mapping",
		"db.host[0]":      "needs a sequence",
		"db.list[0].name": "does not create sequences",
	}
	for path, want := range cases {
		p, err := ParseValuePath(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = SetValue([]byte(setSrc), p, "str", "secret-value")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SetValue(%s): %v, want %q", path, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-value") {
			t.Errorf("SetValue(%s): error shows the value", path)
		}
	}
	p, _ := ParseValuePath("db.port")
	for _, typ := range []string{"int", "float", "bool"} {
		_, err := SetValue([]byte(setSrc), p, typ, "secret-value")
		if err == nil || strings.Contains(err.Error(), "secret-value") {
			t.Errorf("SetValue --type %s of a bad value: %v", typ, err)
		}
	}
	if _, err := SetValue([]byte(setSrc), p, "date", "x"); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestDeleteValue(t *testing.T) {
	cases := []struct{ path, removed, replaced, with string }{
		{"db.password", `  password: "old"`, "", ""},
		{"db.host", "  host: db.internal   # the primary", "", ""},
		{"tls.key", "  key: |\n    line1\n    line2", "tls:\n", "tls: {}\n"},
		{"other", "other: x", "", ""},
		{"hosts[1]", "  - b", "", ""},
		{"db.empty", "  empty:", "", ""},
		{"hosts[0].port", "    port: 1", "", ""},
		{"db.obj", "  obj: {}", "", ""},
	}
	for _, c := range cases {
		p, _ := ParseValuePath(c.path)
		out, err := DeleteValue([]byte(setSrc), p)
		if err != nil {
			t.Errorf("DeleteValue(%s): %v", c.path, err)
			continue
		}
		got := string(out)
		want := strings.Replace(setSrc, c.removed+"\n", "", 1)
		if c.replaced != "" {
			want = strings.Replace(want, c.replaced, c.with, 1)
		}
		if got != want {
			t.Errorf("DeleteValue(%s):\n%s\nwant:\n%s", c.path, got, want)
		}
	}
}

func TestDeleteValueShapes(t *testing.T) {
	cases := []struct{ src, path, want string }{
		{"list:\n  - a: 1\n    b: 2\n  - c\n", "list[0].a", "list:\n  - b: 2\n  - c\n"},
		{"list:\n  - a: 1\n  - c\n", "list[0].a", "list:\n  - {}\n  - c\n"},
		{"list:\n  - a\n", "list[0]", "list: []\n"},
		{"a: 1\n", "a", "{}\n"},
		{"a: 1\n# trailing\n", "a", "# trailing\n{}\n"},
		{"a:\n  b:\n    c: 1\n  d: 2\n", "a.b", "a:\n  d: 2\n"},
		{"a: 1\n---\nb: 2\n", "a", "{}\n---\nb: 2\n"},
	}
	for _, c := range cases {
		p, _ := ParseValuePath(c.path)
		out, err := DeleteValue([]byte(c.src), p)
		if err != nil {
			t.Errorf("DeleteValue(%q, %s): %v", c.src, c.path, err)
			continue
		}
		if string(out) != c.want {
			t.Errorf("DeleteValue(%q, %s) = %q, want %q", c.src, c.path, out, c.want)
		}
	}
	p, _ := ParseValuePath("db.nope")
	if _, err := DeleteValue([]byte(setSrc), p); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("DeleteValue of a missing key: %v", err)
	}
	anchored := "a: &x 1\nb: *x\n"
	p, _ = ParseValuePath("a")
	if _, err := DeleteValue([]byte(anchored), p); err == nil || !strings.Contains(err.Error(), "anchored") {
		t.Errorf("DeleteValue of an anchored value: %v", err)
	}
	if _, err := SetValue([]byte(anchored), p, "int", "2"); err == nil || !strings.Contains(err.Error(), "anchored") {
		t.Errorf("SetValue of an anchored value: %v", err)
	}
	p, _ = ParseValuePath("db.flow.a")
	if _, err := DeleteValue([]byte(setSrc), p); err == nil || !strings.Contains(err.Error(), "flow") {
		t.Errorf("DeleteValue in a flow mapping: %v", err)
	}
}

func TestSetValueCorpus(t *testing.T) {
	// Setting a new top-level key and changing the first scalar of every
	// corpus file leaves every other value as it was (SetValue checks this
	// itself and fails otherwise).
	for _, name := range corpusFiles(t) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := ParseValuePath("svTestNew.key")
		if _, err := SetValue(src, p, "str", "v"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		recs, err := leafRecords(src)
		if err != nil || len(recs) == 0 {
			continue
		}
		for _, r := range recs[:min(len(recs), 20)] {
			if strings.Contains(r.path, "[") || r.typ == "" {
				continue
			}
			vp, err := ParseValuePath(strings.TrimPrefix(r.path, "0:"))
			if err != nil || !strings.HasPrefix(r.path, "0:") {
				continue
			}
			if _, err := SetValue(src, vp, "str", "changed value"); err != nil && !strings.Contains(err.Error(), "anchored") && !strings.Contains(err.Error(), "is an alias") {
				t.Errorf("%s: set %s: %v", name, vp, err)
			}
		}
	}
}

// changedLines returns the lines of b not in a, joined by newlines.
func changedLines(a, b string) string {
	old := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		old[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if !old[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
