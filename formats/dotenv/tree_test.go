package dotenv

import (
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/formats/sopsfile"
)

func TestTreeAndFromTree(t *testing.T) {
	tr, err := Tree([]byte("# c\nA=1\nexport B=\"two words\"\nC='x # y'\nA=2\nD=v # comment\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := sopsfile.Object{{Key: "A", Value: "2"}, {Key: "B", Value: "two words"}, {Key: "C", Value: "x # y"}, {Key: "D", Value: "v"}}
	if s, ok := sopsfile.CheckBack(nil, want, func([]byte) (any, error) { return tr, nil }, "dotenv"); ok != nil || s != nil {
		t.Fatalf("tree %#v", tr)
	}
	out, err := FromTree(sopsfile.Object{{Key: "A", Value: int64(1)}, {Key: "B", Value: "two words"}, {Key: "C", Value: true},
		{Key: "D", Value: "multi\nline"}, {Key: "E", Value: 1.5}, {Key: "F", Value: nil}, {Key: "G", Value: `a"b\c#d`}})
	wantText := "A=1\nB=\"two words\"\nC=true\nD=\"multi\\nline\"\nE=1.5\nF=\nG=\"a\\\"b\\\\c#d\"\n"
	if err != nil || string(out) != wantText {
		t.Fatalf("got %q %v, want %q", out, err, wantText)
	}
	for _, c := range []struct {
		v   any
		err string
	}{
		{sopsfile.Object{{Key: "db", Value: sopsfile.Object{{Key: "user", Value: "x"}}}}, "db: a mapping does not fit in a dotenv file"},
		{sopsfile.Object{{Key: "hosts", Value: []any{"a"}}}, "hosts: a list does not fit in a dotenv file"},
		{sopsfile.Object{{Key: "a b", Value: "x"}}, "a b: not a name a dotenv file can hold"},
		{sopsfile.Object{{Key: "sops_mac", Value: "x"}}, "sops_mac: not a name"},
		{[]any{"x"}, "the top level must be a mapping"},
	} {
		if _, err := FromTree(c.v); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: %v, want %q", c.v, err, c.err)
		}
	}
}

// FuzzFromTree: a dotenv file's variables written again as a dotenv file
// read back the same (FromTree checks it), or are refused as names no
// dotenv file can hold; never a failed read-back.
func FuzzFromTree(f *testing.F) {
	for _, b := range fmttest.Seeds("testdata/*.env") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Tree(b)
		if err != nil {
			return
		}
		if _, err := FromTree(tr); err != nil && strings.Contains(err.Error(), "please report") {
			t.Fatalf("%q: %v", b, err)
		}
	})
}
