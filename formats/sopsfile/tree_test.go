package sopsfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestYAMLToJSON(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: "a: 1\nb: 1.50\nc: 3.0\nd: 1e3\ne: true\nf: null\ng: text\n",
			want: "{\n\t\"a\": 1,\n\t\"b\": 1.5,\n\t\"c\": 3,\n\t\"d\": 1000,\n\t\"e\": true,\n\t\"f\": null,\n\t\"g\": \"text\"\n}\n"},
		{in: "big: 123456789012345678901234567890\n", want: "{\n\t\"big\": 123456789012345678901234567890\n}\n"},
		{in: "z: 1\na: {}\nl: []\n", want: "{\n\t\"z\": 1,\n\t\"a\": {},\n\t\"l\": []\n}\n"},
		{in: "d: 2024-01-01\nh: <a&b>\n", want: "{\n\t\"d\": \"2024-01-01\",\n\t\"h\": \"<a&b>\"\n}\n"},
		{in: "b: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", want: "{\n\t\"b\": {\n\t\t\"x\": 1,\n\t\t\"y\": 2\n\t},\n\t\"c\": {\n\t\t\"x\": 1,\n\t\t\"y\": 3\n\t}\n}\n"},
		{in: "", want: "{}\n"},
		{in: "a:\n  b: [1, .inf]\n", err: "a.b[1]: JSON has no infinity or NaN"},
		{in: "a: 1\n---\nb: 2\n", err: "the file has 2 YAML documents"},
		{in: "a: 1\na: 2\n", err: "a: the key appears twice"},
		{in: "? [x]\n: 1\n", err: "a key that is not a scalar"},
	} {
		tr, err := YAMLTree([]byte(c.in))
		var out []byte
		if err == nil {
			out, err = JSONText(tr)
		}
		if c.err != "" {
			var ce *ConvertError
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &ce) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("%q:\n%s%v\nwant\n%s", c.in, out, err, c.want)
		}
	}
}

func TestJSONToYAML(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: `{"z": 1, "a": {"x": [1, 2.50, "s", true, null], "f": 1e3, "big": 12345678901234567890123}}`,
			want: "z: 1\na:\n  x:\n    - 1\n    - 2.5\n    - s\n    - true\n    - null\n  f: 1000\n  big: 12345678901234567890123\n"},
		{in: `{"on": "yes", "n": "1", "d": "2024-01-01", "m": "a\nb\n", "e": {}, "l": []}`,
			want: "\"on\": \"yes\"\n\"n\": \"1\"\nd: \"2024-01-01\"\nm: |\n  a\n  b\ne: {}\nl: []\n"},
		{in: `{"a": 1, "a": 2}`, err: "a: the key appears twice"},
		{in: `{"a": 1e999}`, err: "a: a number out of range"},
		{in: `{"a": }`, err: "invalid JSON: a syntax error at byte"},
		{in: `{"a": 1} x`, err: "invalid JSON"},
	} {
		tr, err := JSONTree([]byte(c.in))
		var out []byte
		if err == nil {
			out, err = YAMLText(tr)
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("%q:\n%s%v\nwant\n%s", c.in, out, err, c.want)
		}
	}
}

func TestScalarText(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{{"s", "s"}, {nil, ""}, {true, "true"}, {int64(-3), "-3"}, {1.5, "1.5"}, {1e21, "1e+21"}, {"<&>", "<&>"}} {
		if got, err := ScalarText(c.v, nil, "a dotenv"); err != nil || got != c.want {
			t.Errorf("%v: %q %v", c.v, got, err)
		}
	}
	_, err := ScalarText(Object{}, PathString{"a", "b"}, "a dotenv")
	if err == nil || err.Error() != "a.b: a mapping does not fit in a dotenv file" {
		t.Errorf("mapping: %v", err)
	}
}

func convertSeeds(pattern string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "convert", pattern))
	var out [][]byte
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// reportable is a writer's failed self-check: a bug, not a value that
// does not fit.
func reportable(err error) bool { return err != nil && strings.Contains(err.Error(), "please report") }

// FuzzYAMLTree: every YAML file sv reads converts to YAML and (unless a
// value has no JSON spelling) to JSON, each read back to the same tree.
func FuzzYAMLTree(f *testing.F) {
	for _, b := range convertSeeds("*.yaml") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := YAMLTree(b)
		if err != nil {
			return
		}
		if _, err := YAMLText(tr); err != nil {
			t.Fatalf("YAML: %q: %v", b, err)
		}
		if _, err := JSONText(tr); reportable(err) {
			t.Fatalf("JSON: %q: %v", b, err)
		}
	})
}

// FuzzJSONTree: every JSON document converts to JSON and YAML, each read
// back to the same tree.
func FuzzJSONTree(f *testing.F) {
	for _, b := range convertSeeds("*.json") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := JSONTree(b)
		if err != nil {
			return
		}
		if _, err := JSONText(tr); err != nil {
			t.Fatalf("JSON: %q: %v", b, err)
		}
		if _, err := YAMLText(tr); err != nil {
			t.Fatalf("YAML: %q: %v", b, err)
		}
	})
}
