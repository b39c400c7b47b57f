package yamlwalk

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
)

const maskSrc = `# Database settings
db:
  host: db.internal   # the primary
  password: "hunter2"
  port: 5432
tls:
  key: |
    s3cr3t
    more
list:
  - one
  - two
empty: ""
nothing:
token_unencrypted: visible
`

func TestMask(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt([]byte(maskSrc), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Mask(res.Out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(m)
	for _, secret := range []string{"hunter2", "s3cr3t", "5432", "db.internal", "ENC[", "BEGIN AGE"} {
		if strings.Contains(got, secret) {
			t.Errorf("masked text contains %q:\n%s", secret, got)
		}
	}
	marker := `<encrypted [0-9a-f]{8}>`
	for _, re := range []string{
		`(?m)^# Database settings$`,
		`(?m)^  host: ` + marker + `   # the primary$`,
		`(?m)^  password: ` + marker + `$`,
		`(?m)^  key: ` + marker + `$`,
		`(?m)^  - ` + marker + `$`,
		`(?m)^empty: ""$`,
		`(?m)^nothing:$`,
		`(?m)^token_unencrypted: visible$`,
		`(?m)^sops: \{recipients: \[age1[a-z0-9]{58}\], lastmodified: "[0-9TZ:-]+", mac: ` + marker + `\}\n\z`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("masked text does not match %s:\n%s", re, got)
		}
	}

	// Changing one value changes exactly one masked line plus the sops line.
	dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(dec.Text, []byte("hunter2"), []byte("hunter3"), 1)
	res2, err := Reencrypt(edited, dec, EncryptOptions{Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Mask(res2.Out)
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(got, "\n"), strings.Split(string(m2), "\n")
	if len(a) != len(b) {
		t.Fatalf("line count changed: %d -> %d\n%s\n%s", len(a), len(b), got, m2)
	}
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, strings.SplitN(strings.TrimSpace(b[i]), ":", 2)[0])
		}
	}
	if strings.Join(changed, ",") != "password,sops" {
		t.Errorf("changed lines: %v", changed)
	}
}

func TestMaskNotEncrypted(t *testing.T) {
	if _, err := Mask([]byte("a: b\n")); !errors.Is(err, ErrNotEncrypted) {
		t.Fatalf("got %v, want ErrNotEncrypted", err)
	}
	if _, err := Mask([]byte("a: [\n")); err == nil {
		t.Fatal("no error for invalid YAML")
	}
}

// Files written by the real sops: encrypted comments, 4-space indent, no
// final newline variants.
func TestMaskShapes(t *testing.T) {
	r, _ := testKeys(t)
	for name, src := range map[string]string{
		"no final newline": "a: 1\nb: two",
		"multi document":   "a: 1\n---\nb: 2\n",
		"four spaces":      "a:\n    b: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Encrypt([]byte(src), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Mask(res.Out)
			if err != nil {
				t.Fatal(err)
			}
			docs := strings.Count(src, "---") + 1
			if n := strings.Count(string(m), "sops: {recipients:"); n != docs {
				t.Errorf("%d folded sops lines, want %d:\n%s", n, docs, m)
			}
			if strings.Contains(string(m), "ENC[") {
				t.Errorf("ciphertext left:\n%s", m)
			}
			if strings.HasSuffix(src, "\n") != strings.HasSuffix(string(m), "\n") {
				t.Errorf("final newline changed:\n%q", m)
			}
		})
	}
	// An encrypted comment, as sops writes it.
	wrapped, err := crypt.Wrap(make([]byte, crypt.KeySize), r)
	if err != nil {
		t.Fatal(err)
	}
	wrapped = "            " + strings.ReplaceAll(strings.TrimSuffix(wrapped, "\n"), "\n", "\n            ") + "\n"
	enc := "#ENC[AES256_GCM,data:abcd,iv:ef==,tag:gh==,type:comment]\na: ENC[AES256_GCM,data:abcd,iv:ef==,tag:gh==,type:str] #ENC[AES256_GCM,data:zz,iv:ef==,tag:gh==,type:comment]\n" +
		"sops:\n    age:\n        - recipient: age1xyz\n          enc: |\n" + wrapped + "    lastmodified: \"2026-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]\n    version: 3.13.3\n"
	m, err := Mask([]byte(enc))
	if err != nil {
		t.Fatal(err)
	}
	want := "#<encrypted 5f0e7c1d>\na: " + Marker("ENC[AES256_GCM,data:abcd,iv:ef==,tag:gh==,type:str]") + " #" + Marker("ENC[AES256_GCM,data:zz,iv:ef==,tag:gh==,type:comment]") + "\n"
	want = strings.Replace(want, "<encrypted 5f0e7c1d>", Marker("ENC[AES256_GCM,data:abcd,iv:ef==,tag:gh==,type:comment]"), 1)
	if !strings.HasPrefix(string(m), want) {
		t.Errorf("got\n%s\nwant prefix\n%s", m, want)
	}
}

func TestMaskCorpus(t *testing.T) {
	r, _ := testKeys(t)
	for _, name := range corpusFiles(t) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
		if err != nil {
			continue // the core's own tests cover files it refuses
		}
		m, err := Mask(res.Out)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if bytes.Contains(m, []byte("ENC[AES256_GCM")) {
			t.Errorf("%s: ciphertext left in masked text", filepath.Base(name))
		}
	}
}

func TestScalars(t *testing.T) {
	src := "a: 1\nb:\n  c: &x 'two'\n  d:\n  e: |\n    multi\n    line\nl:\n  - x\n  - k: y\n\"dotted.key\": z\n"
	ss, err := Scalars([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		text := "<none>"
		if s.Start >= 0 {
			text = src[s.Start:s.End]
		}
		seq := ""
		if s.InSequence {
			seq = " seq"
		}
		got = append(got, s.Path+"="+text+seq)
	}
	want := []string{"a=1", "b.c=&x 'two'", "b.d=<none>", "b.e=|\n    multi\n    line", "l[0]=x seq", "l[1].k=y seq", `["dotted.key"]=z`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestReuseCiphertexts(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt([]byte("a: one\nb: two\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	base, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	// theirs changes b; ours changes a; the merge keeps theirs' ciphertext for b.
	theirsRes, err := Reencrypt([]byte("a: one\nb: TWO\n"), base, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := Decrypt(theirsRes.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if !ours.ReuseCiphertexts(theirs) {
		t.Fatal("same data key not reused")
	}
	merged, err := Reencrypt([]byte("a: ONE\nb: TWO\n"), ours, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bLine := func(b []byte) string {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "b: ") {
				return l
			}
		}
		return ""
	}
	if bLine(merged.Out) != bLine(theirsRes.Out) {
		t.Error("theirs' ciphertext for b not reused")
	}
	other, _ := testKeys(t)
	res3, err := Encrypt([]byte("a: one\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{other}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	_ = res3
	fake := &Decrypted{Key: make([]byte, 32)}
	if ours.ReuseCiphertexts(fake) {
		t.Error("reused ciphertexts across data keys")
	}
}

// A block scalar's stashed ciphertext must not carry the block's final line
// break into the rewrite (it used to add a blank line after the value).
func TestReencryptBlockScalarLayout(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt([]byte("key: |\n  s3cr3t\n  more\nnext: x\n"), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := Reencrypt([]byte("key: |\n  s3cr3t\n  more\nnext: y\n"), dec, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := func(b []byte) string { return string(b[:bytes.Index(b, []byte("next:"))]) }
	if first(res.Out) != first(res2.Out) {
		t.Errorf("unchanged block value rewritten differently:\n%q\n%q", first(res.Out), first(res2.Out))
	}
}
