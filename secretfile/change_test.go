package secretfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/yamlwalk"
)

// testKeys makes an identity in a key file of its own (the process's key
// variables cleared) and returns Keys holding it and its recipient.
func testKeys(t testing.TB) (*Keys, string) {
	t.Helper()
	dir := t.TempDir()
	keyFile, r := isolatedIdentity(t, dir)
	return NewKeys(KeyEnv{KeyFile: keyFile}), r
}

// encryptedFile writes plain to dir/name encrypted for r and returns its
// path.
func encryptedFile(t *testing.T, dir, name, plain, r string) string {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(plain), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Encrypt(file, EncryptOptions{Rule: RuleOptions{Recipients: []string{r}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, res.Out, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func plaintext(t *testing.T, file string, keys *Keys) string {
	t.Helper()
	dec, err := DecryptFile(file, DecryptOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(dec.Text)
}

func TestSetUnset(t *testing.T) {
	keys, r := testKeys(t)
	file := encryptedFile(t, t.TempDir(), "values.yaml", "db:\n  port: 5432\n  user: app\n  password: a\n", r)
	before, _ := os.ReadFile(file)
	path := func(s string) yamlwalk.ValuePath {
		p, err := yamlwalk.ParseValuePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	res, err := Set(file, path("db.port"), "6000", ChangeOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged || !strings.Contains(res.Note, "db.port stays an int") {
		t.Errorf("set db.port 6000: unchanged %v, note %q; want a change and the int note", res.Unchanged, res.Note)
	}
	after, _ := os.ReadFile(file)
	if n := NewCiphertexts(file, before, after); n != 1 {
		t.Errorf("set one value: %d new ciphertexts, want 1", n)
	}
	if got := plaintext(t, file, keys); got != "db:\n  port: 6000\n  user: app\n  password: a\n" {
		t.Errorf("after set: %q", got)
	}

	if res, err := Set(file, path("db.port"), "6000", ChangeOptions{Keys: keys}); err != nil || !res.Unchanged {
		t.Errorf("set to the same value: %+v, %v; want Unchanged", res, err)
	}
	if same, _ := os.ReadFile(file); !bytes.Equal(same, after) {
		t.Error("an unchanged set wrote the file")
	}

	if _, err := Set(file, path("db.port"), `"7000"`, ChangeOptions{Type: "json", Keys: keys}); err != nil {
		t.Fatal(err)
	}
	if got := plaintext(t, file, keys); !strings.Contains(got, `port: "7000"`) {
		t.Errorf("--type json string: %q, want a quoted string", got)
	}
	var fe *FormatError
	if _, err := Set(file, path("db.port"), `{"a":1}`, ChangeOptions{Type: "json", Keys: keys}); !errors.As(err, &fe) {
		t.Errorf("--type json with an object: %v, want *FormatError", err)
	}

	if res, err := Set(file, path("db.user"), "x", ChangeOptions{Keys: keys}); err != nil || res.Note != "" {
		t.Errorf("set a string: note %q, %v; want no note", res.Note, err)
	}
	if _, err := Unset(file, path("db.password"), ChangeOptions{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	if got := plaintext(t, file, keys); got != "db:\n  port: \"7000\"\n  user: x\n" {
		t.Errorf("after unset: %q", got)
	}

	plain := filepath.Join(filepath.Dir(file), "plain.yaml")
	os.WriteFile(plain, []byte("a: 1\n"), 0o644)
	if _, err := Set(plain, path("a"), "2", ChangeOptions{Keys: keys}); !errors.Is(err, yamlwalk.ErrNotEncrypted) {
		t.Errorf("set in a plaintext file: %v, want ErrNotEncrypted", err)
	}
}

func TestSetType(t *testing.T) {
	text := []byte("port: 5432\nratio: 0.5\non: true\nname: x\n")
	for _, c := range []struct{ path, value, typ, note string }{
		{"port", "6000", "int", "port stays an int"},
		{"port", "six", "str", "port was an int; the new value is not one"},
		{"ratio", "0.7", "float", "ratio stays a float"},
		{"on", "false", "bool", "on stays a bool"},
		{"name", "5", "str", ""},
		{"missing", "5", "str", ""},
	} {
		p, _ := yamlwalk.ParseValuePath(c.path)
		typ, note := SetType(text, p, c.value)
		if typ != c.typ || !strings.HasPrefix(note, c.note) || (c.note == "") != (note == "") {
			t.Errorf("SetType(%s, %s) = %s, %q; want %s, %q…", c.path, c.value, typ, note, c.typ, c.note)
		}
	}
}

func TestEditSave(t *testing.T) {
	keys, r := testKeys(t)
	dir := t.TempDir()
	file := encryptedFile(t, dir, "values.yaml", "a: 1\nb: two\n", r)

	ed, err := OpenEdit(file, EditOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if ed.New || string(ed.Text) != "a: 1\nb: two\n" {
		t.Fatalf("OpenEdit: new %v, text %q", ed.New, ed.Text)
	}
	if res, err := ed.Save(ed.Text); err != nil || !res.Unchanged {
		t.Errorf("save unchanged text: %+v, %v", res, err)
	}
	res, err := ed.Save([]byte("a: [1\n"))
	if res != nil || !IsContentError(err) {
		t.Errorf("save invalid YAML: %+v, %v; want no result and a content error", res, err)
	}
	res, err = ed.Save([]byte("a: 1\nb: three\n"))
	if err != nil || res.NewCiphertexts != 1 {
		t.Fatalf("save one change: %+v, %v; want 1 new ciphertext", res, err)
	}
	if got := plaintext(t, file, keys); got != "a: 1\nb: three\n" {
		t.Errorf("after save: %q", got)
	}
	// The file changed since it was opened: the guard keeps the other write.
	var ce *ChangedError
	if res, err := ed.Save([]byte("a: 2\nb: two\n")); res == nil || !errors.As(err, &ce) || ce.Created {
		t.Errorf("save over a changed file: %+v, %v; want *ChangedError", res, err)
	}

	if _, err := OpenEdit(filepath.Join(dir, "nodir", "x.yaml"), EditOptions{Keys: keys}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("new file in a missing directory: %v", err)
	}
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("a: 1\n"), 0o644)
	if _, err := OpenEdit(plain, EditOptions{Keys: keys}); !errors.Is(err, yamlwalk.ErrNotEncrypted) {
		t.Errorf("open a plaintext file: %v, want ErrNotEncrypted", err)
	}

	newFile := filepath.Join(dir, "new.yaml")
	ed, err = OpenEdit(newFile, EditOptions{Keys: keys, Rule: RuleOptions{Recipients: []string{r}}})
	if err != nil || !ed.New {
		t.Fatalf("OpenEdit of a new file: %+v, %v", ed, err)
	}
	if res, err := ed.Save([]byte("  \n")); err != nil || !res.Unchanged {
		t.Errorf("save a blank new file: %+v, %v; want Unchanged", res, err)
	}
	if _, err := os.Lstat(newFile); err == nil {
		t.Error("a blank new file was created")
	}
	if res, err := ed.Save([]byte("k: v\n")); err != nil || res.NewCiphertexts != 1 {
		t.Fatalf("save a new file: %+v, %v", res, err)
	}
	if got := plaintext(t, newFile, keys); got != "k: v\n" {
		t.Errorf("new file: %q", got)
	}
	if res, err := ed.Save([]byte("k: w\n")); res == nil || !errors.As(err, &ce) || !ce.Created {
		t.Errorf("save a new file that exists now: %v; want *ChangedError (Created)", err)
	}
}

func TestEnvFromFiles(t *testing.T) {
	keys, r := testKeys(t)
	dir := t.TempDir()
	a := encryptedFile(t, dir, "a.yaml", "db:\n  host: a\n  port: 1\n", r)
	b := encryptedFile(t, dir, "b.yaml", "db:\n  host: b\n", r)
	vars, per, err := EnvFromFiles([]string{a, b}, EnvOptions{Prefix: "X_", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		got = append(got, v.Name+"="+v.Value)
	}
	if strings.Join(got, " ") != "X_DB_HOST=b X_DB_PORT=1" {
		t.Errorf("variables %q", got)
	}
	if len(per) != 2 || per[0].Err != nil || per[1].Err != nil || len(per[1].Overrides) != 1 ||
		per[1].Overrides[0] != (Override{Name: "X_DB_HOST", Path: "db.host", PrevFile: a, PrevPath: "db.host"}) {
		t.Errorf("per file: %+v", per)
	}

	p := encryptedFile(t, dir, "p.yaml", "path: /evil/bin\n", r)
	_, per, err = EnvFromFiles([]string{p, filepath.Join(dir, "missing.yaml")}, EnvOptions{Keys: keys})
	var pe *ProtectedError
	if err != nil || !errors.As(per[0].Err, &pe) || pe.Name != "PATH" || pe.Path != "path" || per[1].Err == nil {
		t.Errorf("protected and missing: %v, %+v", err, per)
	}
	if strings.Contains(per[0].Err.Error(), "/evil/bin") {
		t.Errorf("the error shows the value: %v", per[0].Err)
	}
	if _, per, _ = EnvFromFiles([]string{p}, EnvOptions{Keys: keys, Allow: []string{"PATH"}}); per[0].Err != nil {
		t.Errorf("--allow-env PATH: %v", per[0].Err)
	}
}

func TestDocumentSeparator(t *testing.T) {
	for _, c := range []struct {
		first bool
		last  byte
		text  string
		want  string
	}{
		{true, '\n', "a: 1\n", ""},
		{false, '\n', "a: 1\n", "---\n"},
		{false, '1', "a: 1\n", "\n---\n"},
		{false, '\n', "---\na: 1\n", ""}, {false, '\n', "---", ""}, {false, '\n', "--- # doc\n", ""}, {false, '\n', "---\r\n", ""},
		{false, '\n', "----\n", "---\n"}, {false, '\n', "# c\n---\n", "---\n"}, {false, '\n', "", "---\n"}, {false, '\n', "---a\n", "---\n"},
	} {
		if got := DocumentSeparator(c.first, c.last, []byte(c.text)); got != c.want {
			t.Errorf("DocumentSeparator(%v, %q, %q) = %q, want %q", c.first, c.last, c.text, got, c.want)
		}
	}
}

func TestOutputDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	os.WriteFile(file, nil, 0o600)
	t.Chdir(dir)
	for _, c := range []struct {
		out   string
		files int
		want  bool
	}{
		{"", 3, false}, {"-", 3, false}, {"x.yaml", 1, false}, {file, 1, false},
		{"out", 2, true}, {dir, 1, true}, {"new/", 1, true},
	} {
		if got := OutputDir(c.out, c.files); got != c.want {
			t.Errorf("OutputDir(%q, %d) = %v", c.out, c.files, got)
		}
	}
}

func TestWritePlaintext(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	os.WriteFile(file, []byte("encrypted"), 0o644)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(file, link); err != nil {
		t.Skip(err)
	}
	if err := WritePlaintext(file, link, []byte("plain"), WriteOptions{}); !errors.Is(err, ErrOverEncrypted) {
		t.Errorf("write over the encrypted file: %v, want ErrOverEncrypted", err)
	}
	out := filepath.Join(dir, "out")
	if err := MakePlaintextDir(out); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(out, "f.yaml")
	if err := WritePlaintext(file, target, []byte("plain"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("plaintext file: %v, %v; want mode 0600", fi, err)
	}
}

func TestNewPlainFile(t *testing.T) {
	for _, fifo := range []bool{false, runtime.GOOS != "windows"} {
		p, err := NewPlainFile("dir/values.yaml", []byte("secret: x\n"), fifo)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p.Path) != "values.yaml" || !strings.HasPrefix(filepath.Base(filepath.Dir(p.Path)), "sv-exec-") {
			t.Errorf("fifo %v: path %s", fifo, p.Path)
		}
		fi, err := os.Lstat(p.Path)
		if err != nil || fi.Mode().Perm() != 0o600 || (fi.Mode()&os.ModeNamedPipe != 0) != fifo {
			t.Errorf("fifo %v: %v, %v", fifo, fi, err)
		}
		if b, err := os.ReadFile(p.Path); err != nil || string(b) != "secret: x\n" {
			t.Errorf("fifo %v: read %q, %v", fifo, b, err)
		}
		if err := p.Remove(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Dir(p.Path)); !os.IsNotExist(err) {
			t.Errorf("fifo %v: directory left: %v", fifo, err)
		}
	}
}
