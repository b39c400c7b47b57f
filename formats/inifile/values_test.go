package inifile

import (
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/formats/sopsfile"
)

const plainINI = "; top\n[DEFAULT]\nx = 1\n\n[db]\n; c1\nuser = admin\nport = 5432\n"

func TestSetDeleteValue(t *testing.T) {
	for _, c := range []struct {
		sec, key, value, want string
	}{
		{"db", "user", "root", "; top\n[DEFAULT]\nx = 1\n\n[db]\n; c1\nuser = root\nport = 5432\n"},
		{"db", "pass", "s3 cret", "; top\n[DEFAULT]\nx = 1\n\n[db]\n; c1\nuser = admin\nport = 5432\npass = s3 cret\n"},
		{"new", "k", "v", plainINI + "\n[new]\nk = v\n"},
		{"DEFAULT", "y", "2", "; top\n[DEFAULT]\nx = 1\ny = 2\n\n[db]\n; c1\nuser = admin\nport = 5432\n"},
	} {
		got, err := SetValue([]byte(plainINI), c.sec, c.key, c.value)
		if err != nil || string(got) != c.want {
			t.Errorf("set [%s].%s: %q %v, want %q", c.sec, c.key, got, err, c.want)
		}
	}
	got, err := DeleteValue([]byte(plainINI), "db", "user")
	if want := "; top\n[DEFAULT]\nx = 1\n\n[db]\nport = 5432\n"; err != nil || string(got) != want {
		t.Errorf("unset (the comment above a key goes with it): %q %v", got, err)
	}
	got, err = DeleteValue([]byte(plainINI), "db", "")
	if want := "; top\n[DEFAULT]\nx = 1\n"; err != nil || string(got) != want {
		t.Errorf("unset section: %q %v", got, err)
	}
	if _, err := DeleteValue([]byte(plainINI), "db", "nope"); err == nil || err.Error() != "[db].nope: not found in the file" {
		t.Errorf("unset missing: %v", err)
	}
	if _, err := SetValue([]byte(plainINI), "sops", "k", "v"); err == nil {
		t.Error("set in the sops section")
	}
}

func TestValues(t *testing.T) {
	text := []byte("a = 1\n\n[db]\nuser = admin\n`k=x` = v\nm = \"\"\"two\nlines\"\"\"\nport = 5432\n")
	d, err := Values(text)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range d.Values {
		got = append(got, v.Path+"="+string(text[v.Start:v.End]))
	}
	want := "[DEFAULT].a=1|[db].user=admin|[db].k=x=v|[db].m=\"\"\"two\nlines\"\"\"|[db].port=5432"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q\nwant %q", strings.Join(got, "|"), want)
	}
}

func TestTreeFromTree(t *testing.T) {
	tr, err := Tree([]byte(plainINI))
	if err != nil {
		t.Fatal(err)
	}
	out, err := FromTree(tr)
	if want := "x = 1\n\n[db]\nuser = admin\nport = 5432\n"; err != nil || string(out) != want {
		t.Errorf("%q %v", out, err)
	}
	for _, c := range []struct {
		v   any
		err string
	}{
		{sopsfile.Object{{Key: "a", Value: "x"}}, "a: an INI file holds values in sections"},
		{sopsfile.Object{{Key: "s", Value: sopsfile.Object{{Key: "k", Value: []any{}}}}}, "s.k: a list does not fit in an INI file"},
		{sopsfile.Object{{Key: "sops", Value: sopsfile.Object{}}}, "sops: the section name is reserved"},
	} {
		if _, err := FromTree(c.v); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: %v, want %q", c.v, err, c.err)
		}
	}
}

// FuzzConvert: an INI file's tree written again as INI reads back the
// same (FromTree checks it), and its values split for a merge cover
// every key the library reads, in order.
func FuzzConvert(f *testing.F) {
	for _, b := range fmttest.Seeds("testdata/*.ini") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Tree(b)
		if err != nil {
			return
		}
		out, err := FromTree(tr)
		if err != nil {
			if strings.Contains(err.Error(), "please report") {
				t.Fatalf("%q: %v", b, err)
			}
			return
		}
		d, err := Values(out)
		if err != nil {
			t.Fatalf("values of %q: %v", out, err)
		}
		n := 0
		for _, m := range tr.(sopsfile.Object) {
			n += len(m.Value.(sopsfile.Object))
		}
		if len(d.Values) != n {
			t.Fatalf("values of %q: %d, want %d", out, len(d.Values), n)
		}
	})
}
