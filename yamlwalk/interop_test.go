package yamlwalk

import (
	"bytes"
	"fmt"
	"github.com/sv-secrets/sv/internal/sopstest"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// These tests hold sv to the real sops 3.13.3 in both directions.

type testIdentity struct {
	file      string // identity file
	recipient crypt.Recipient
	keyring   *crypt.Keyring
}

func loadTestIdentity(t *testing.T, name string) testIdentity {
	t.Helper()
	id := sopstest.Load(t, name)
	return testIdentity{file: id.File, recipient: id.Recipient, keyring: id.Keyring}
}

// runSops runs the real sops with only the given key file available.
func runSops(t *testing.T, dir, keyFile string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	return sopstest.Sops(t, dir, keyFile, args...)
}

// semantic decodes every document of a YAML stream the way sops sees it,
// normalizing numbers so that 1.0 and 1 compare equal (sops writes 1.0 as 1).
func semantic(t *testing.T, b []byte) []any {
	t.Helper()
	var docs []any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("decode: %v", err)
		}
		if m, ok := v.(map[string]any); ok {
			delete(m, "sops")
		}
		if v == nil {
			v = map[string]any{}
		}
		docs = append(docs, normalize(v))
	}
	return docs
}

func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
	case int:
		return float64(v)
	case float64:
		if math.IsNaN(v) {
			return "NaN"
		}
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func equalSemantic(t *testing.T, what string, want, got []byte) {
	t.Helper()
	w, g := semantic(t, want), semantic(t, got)
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s: documents differ: %s", what, firstDiff("", w, g))
	}
}

// firstDiff names the first path where two decoded documents differ.
func firstDiff(path string, a, b any) string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: map vs %T", path, b)
		}
		for k, v := range a {
			if d := firstDiff(path+"."+k, v, bm[k]); d != "" {
				return d
			}
		}
		for k := range bm {
			if _, ok := a[k]; !ok {
				return fmt.Sprintf("%s.%s: extra key", path, k)
			}
		}
		return ""
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return fmt.Sprintf("%s: list of %d vs %v", path, len(a), b)
		}
		for i := range a {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), a[i], bs[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %#v vs %#v", path, a, b)
	}
	return ""
}

func TestInteropSvToSops(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	for _, name := range corpusFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			enc := filepath.Join(dir, "values.yaml")
			if err := os.WriteFile(enc, res.Out, 0o600); err != nil {
				t.Fatal(err)
			}
			out, stderr, err := runSops(t, dir, alice.file, "decrypt", enc)
			if err != nil {
				t.Fatalf("sops decrypt: %v\n%s", err, stderr)
			}
			if bytes.Contains(stderr, []byte("MAC")) {
				t.Fatalf("sops complained about the MAC: %s", stderr)
			}
			equalSemantic(t, "sops decrypt of sv encrypt", src, out)
		})
	}
}

// sopsEncrypted is what the real sops encrypt makes of plain (as a file
// values.yaml in a directory of its own) for recipient.
func sopsEncrypted(t *testing.T, plain []byte, recipient string) []byte {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(file, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	enc, stderr, err := runSops(t, dir, "", "encrypt", "--age", recipient, file)
	if err != nil {
		t.Fatalf("sops encrypt: %v\n%s", err, stderr)
	}
	return enc
}

func TestInteropSopsToSv(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	for _, name := range corpusFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// sops encrypts comments by default: sv must turn them back.
			enc := sopsEncrypted(t, src, alice.recipient.String)
			dec, err := Decrypt(enc, DecryptOptions{Keys: alice.keyring})
			if err != nil {
				t.Fatalf("sv decrypt of a sops file: %v", err)
			}
			if bytes.Contains(dec.Text, []byte("ENC[")) {
				i := bytes.Index(dec.Text, []byte("ENC["))
				t.Fatalf("ciphertext left in the output near %q", dec.Text[max(0, i-80):i+20])
			}
			equalSemantic(t, "sv decrypt of sops encrypt", src, dec.Text)
			// Every comment came back as a plaintext comment (sops moves
			// inline comments onto lines of their own).
			got, want := commentTexts(t, dec.Text), commentTexts(t, src)
			for c := range want {
				if !got[c] {
					t.Fatalf("comment %q is missing after decryption", c)
				}
			}
		})
	}
}

// commentTexts collects the text of every comment line yaml.v3 sees.
func commentTexts(t *testing.T, b []byte) map[string]bool {
	out := map[string]bool{}
	var rec func(n *yaml.Node)
	rec = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			for _, l := range strings.Split(c, "\n") {
				if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#")); l != "" {
					out[l] = true
				}
			}
		}
		for _, c := range n.Content {
			rec(c)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		if dec.Decode(&n) != nil {
			break
		}
		rec(&n)
	}
	return out
}

func TestInteropVariants(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	bob := loadTestIdentity(t, "bob.agekey")
	carol := loadTestIdentity(t, "carol-pq.agekey")
	src := []byte(`# top
db:
  user: admin
  password: "hunter2"   # inline
  port: 5432
  ratio: 0.5
  on: true
  when: 2002-12-14
  list:
    - one
    # between items
    - 2
  pw_unencrypted: plain
---
second:
  doc: value
`)
	cases := []struct {
		name   string
		rules  Rules
		groups [][]crypt.Recipient
		keys   []testIdentity // sops gets the first key file
	}{
		{name: "default", groups: [][]crypt.Recipient{{alice.recipient, bob.recipient}}, keys: []testIdentity{bob}},
		{name: "encrypted_regex", rules: Rules{EncryptedRegex: "^(password|doc)$"}, groups: [][]crypt.Recipient{{alice.recipient}}, keys: []testIdentity{alice}},
		{name: "mac_only_encrypted", rules: Rules{EncryptedSuffix: "word", MACOnlyEncrypted: true}, groups: [][]crypt.Recipient{{alice.recipient}}, keys: []testIdentity{alice}},
		{name: "post-quantum", groups: [][]crypt.Recipient{{carol.recipient}}, keys: []testIdentity{carol}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Encrypt(src, EncryptOptions{Rules: tc.rules, KeyGroups: tc.groups})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			enc := filepath.Join(dir, "values.yaml")
			os.WriteFile(enc, res.Out, 0o600)
			out, stderr, err := runSops(t, dir, tc.keys[0].file, "decrypt", enc)
			if err != nil {
				t.Fatalf("sops decrypt: %v\n%s", err, stderr)
			}
			equalSemantic(t, "sops decrypt", src, out)
			dec, err := Decrypt(res.Out, DecryptOptions{Keys: tc.keys[0].keyring})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec.Text, src) {
				diffLines(t, src, dec.Text)
			}
			// And the other way: sops edits a value of sv's file (sops
			// rewrites the file in its own layout), sv still reads it.
			if _, stderr, err := runSops(t, dir, tc.keys[0].file, "set", enc, `["db"]["user"]`, `"root"`); err != nil {
				t.Fatalf("sops set: %v\n%s", err, stderr)
			}
			b, _ := os.ReadFile(enc)
			dec, err = Decrypt(b, DecryptOptions{Keys: tc.keys[0].keyring})
			if err != nil {
				t.Fatalf("sv decrypt after sops set: %v", err)
			}
			want := bytes.Replace(src, []byte("user: admin"), []byte("user: root"), 1)
			equalSemantic(t, "after sops set", want, dec.Text)
		})
	}
}

func TestInteropKeyGroups(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	bob := loadTestIdentity(t, "bob.agekey")
	src := []byte("a: secret\nb:\n  c: 3\n")
	dir := t.TempDir()
	cfg := fmt.Sprintf("creation_rules:\n  - key_groups:\n      - age: [%s]\n      - age: [%s]\n    shamir_threshold: 2\n", alice.recipient.String, bob.recipient.String)
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o600)
	plain := filepath.Join(dir, "values.yaml")
	os.WriteFile(plain, src, 0o600)
	enc, stderr, err := runSops(t, dir, "", "encrypt", plain)
	if err != nil {
		t.Fatalf("sops encrypt: %v\n%s", err, stderr)
	}
	both, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY" {
			a, _ := os.ReadFile(alice.file)
			b, _ := os.ReadFile(bob.file)
			return lastLine(a) + "\n" + lastLine(b)
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decrypt(enc, DecryptOptions{Keys: both})
	if err != nil {
		t.Fatalf("sv decrypt of a 2-of-2 key group file: %v", err)
	}
	if !bytes.Equal(dec.Text, []byte("a: secret\nb:\n    c: 3\n")) {
		t.Fatalf("got %q", dec.Text)
	}
	if _, err := Decrypt(enc, DecryptOptions{Keys: alice.keyring}); err == nil {
		t.Fatal("one of two shares opened the file")
	} else if _, ok := err.(*crypt.NoKeyError); !ok {
		t.Fatalf("want NoKeyError, got %T %v", err, err)
	}
	// sv writes key groups sops reads.
	res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}, {bob.recipient}}, ShamirThreshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "sv.yaml")
	os.WriteFile(f, res.Out, 0o600)
	keys := filepath.Join(dir, "both.txt")
	a, _ := os.ReadFile(alice.file)
	b, _ := os.ReadFile(bob.file)
	os.WriteFile(keys, append(a, b...), 0o600)
	out, stderr, err := runSops(t, dir, keys, "decrypt", f)
	if err != nil {
		t.Fatalf("sops decrypt of sv key groups: %v\n%s", err, stderr)
	}
	equalSemantic(t, "key groups", src, out)
}

func lastLine(b []byte) string {
	l := strings.Split(strings.TrimSpace(string(b)), "\n")
	return l[len(l)-1]
}
