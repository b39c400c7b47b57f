package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// respelled lists, per test file, the values whose escapes sv cannot keep.
var respelled = map[string][]string{
	"upper.json": {"ok"},
}

func semantic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "sops")
	}
	return v
}

func TestInteropWithSops(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	files, _ := filepath.Glob("testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			plain, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			// sv encrypts, sv and sops decrypt.
			res, err := Encrypt(plain, alice.EncryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Respelled, respelled[name]) {
				t.Errorf("respelled %v, want %v", res.Respelled, respelled[name])
			}
			d, err := Decrypt(res.Out, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Respelled) == 0 && !bytes.Equal(d.Text, plain) {
				t.Errorf("round trip not byte-identical:\n%s\nwant\n%s", d.Text, plain)
			}
			out := alice.SopsDecrypt(t, dir, "sv.enc.json", res.Out)
			if !reflect.DeepEqual(semantic(t, out), semantic(t, plain)) {
				t.Errorf("sops decrypts sv's file to\n%s\nwant the values of\n%s", out, plain)
			}
			// Only value lines changed (and the line where the sops object
			// starts).
			if !strings.Contains(string(plain), "\n") {
				return
			}
			changed, _ := fmttest.ChangedLines(plain, res.Out)
			pl := strings.Split(string(plain), "\n")
			last := strings.LastIndex(string(plain), "}")
			lastLine := strings.Count(string(plain[:last]), "\n") // the line before the closing brace
			for _, n := range changed {
				if n >= lastLine {
					continue // where the sops object starts
				}
				if !valueLine(pl[n-1]) {
					t.Errorf("line %d changed but holds no value: %q", n, pl[n-1])
				}
			}

			// sops encrypts, sv decrypts.
			sopsEnc := alice.SopsEncrypt(t, dir, "plain.json", plain)
			d2, err := Decrypt(sopsEnc, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(semantic(t, d2.Text), semantic(t, plain)) {
				t.Errorf("sv decrypts sops's file to\n%s\nwant the values of\n%s", d2.Text, plain)
			}
			sopsPlain := alice.SopsDecrypt(t, dir, "sv.enc.json", sopsEnc)
			if !reflect.DeepEqual(semantic(t, d2.Text), semantic(t, sopsPlain)) {
				t.Errorf("sv and sops disagree on sops's file")
			}
			if lines(d2.Text) != lines(sopsPlain) {
				t.Errorf("sv's decryption of sops's file is not in sops's layout:\n%s\nsops:\n%s", d2.Text, sopsPlain)
			}
		})
	}
}

func lines(b []byte) int { return bytes.Count(b, []byte("\n")) }

// valueLine reports whether a line of a test file holds a scalar value.
func valueLine(l string) bool {
	l = strings.TrimSpace(l)
	return l != "{" && l != "}" && l != "}," && l != "[" && l != "]" && l != "],"
}

func TestSelectionRulesAndKeyGroups(t *testing.T) {
	alice, bob := fmttest.Load(t, "alice.agekey"), fmttest.Load(t, "bob.agekey")
	plain := []byte(`{
    "db": {"password": "pw", "user": "admin", "port": 5432},
    "apiKey": "k",
    "n": 1.0
}
`)
	opt := yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.Recipient}, {bob.Recipient}}, ShamirThreshold: 2,
		Rules: yamlwalk.Rules{EncryptedRegex: "^(password|apiKey)$", MACOnlyEncrypted: true}, Now: time.Now()}
	res, err := Encrypt(plain, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Encrypted != 2 {
		t.Errorf("encrypted %d values, want 2:\n%s", res.Encrypted, res.Out)
	}
	for _, s := range []string{`"key_groups": [`, `"hc_vault": []`, `"shamir_threshold": 2`, `"mac_only_encrypted": true`, `"encrypted_regex": "^(password|apiKey)$"`, "\n    \"sops\": {\n        \"encrypted_regex\""} {
		if !strings.Contains(string(res.Out), s) {
			t.Errorf("output lacks %q:\n%s", s, res.Out)
		}
	}
	dir := t.TempDir()
	enc := filepath.Join(dir, "f.json")
	os.WriteFile(enc, res.Out, 0o600)
	// Both keys are needed: one key file with both identities.
	keys := filepath.Join(dir, "keys.txt")
	a, _ := os.ReadFile(alice.File)
	b, _ := os.ReadFile(bob.File)
	os.WriteFile(keys, append(append(a, '\n'), b...), 0o600)
	out := fmttest.MustSops(t, dir, keys, "decrypt", enc)
	if !reflect.DeepEqual(semantic(t, out), semantic(t, plain)) {
		t.Errorf("sops: %s", out)
	}
	// Incremental: a value added to the encrypted file is encrypted under
	// the same key; the other ciphertexts stay.
	added := bytes.Replace(res.Out, []byte("{\n"), []byte("{\n    \"password\": \"new\",\n"), 1)
	kr, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return keys
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := Encrypt(added, yamlwalk.EncryptOptions{Keys: kr, Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Encrypted != 1 {
		t.Errorf("incremental encrypted %d, want 1", res2.Encrypted)
	}
	for _, l := range strings.Split(string(res.Out), "\n") {
		if strings.Contains(l, "ENC[") && !strings.Contains(l, `"mac"`) && !strings.Contains(string(res2.Out), l) {
			t.Errorf("ciphertext line changed: %s", l)
		}
	}
	os.WriteFile(enc, res2.Out, 0o600)
	out = fmttest.MustSops(t, dir, keys, "decrypt", enc)
	if !strings.Contains(string(out), `"password": "new"`) {
		t.Errorf("sops: %s", out)
	}
}

func TestTamper(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	plain := []byte(`{"a": "secret-one", "b": "secret-two"}`)
	res, err := Encrypt(plain, alice.EncryptOpts())
	if err != nil {
		t.Fatal(err)
	}
	root, _ := parse(res.Out)
	a, b := root.members[0].value, root.members[1].value
	swapped := string(res.Out[:a.start]) + string(res.Out[b.start:b.end]) + string(res.Out[a.end:b.start]) + string(res.Out[a.start:a.end]) + string(res.Out[b.end:])
	_, err = Decrypt([]byte(swapped), alice.DecryptOpts())
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("swapped values: %v", err)
	}
	var ve *yamlwalk.ValueError
	if !errors.As(err, &ve) || ve.Path != "a" {
		t.Errorf("error %v does not name path a", err)
	}
	// Dropping a value breaks the MAC.
	dropped := strings.Replace(string(res.Out), string(res.Out[a.start:a.end])+", ", `"", `, 1)
	if _, err := Decrypt([]byte(dropped), alice.DecryptOpts()); err == nil {
		t.Fatal("dropped value decrypted")
	}
	if _, err := Decrypt([]byte(dropped), yamlwalk.DecryptOptions{Keys: alice.Keyring, IgnoreMAC: true}); err != nil {
		t.Fatalf("ignore-mac: %v", err)
	}
}

func TestCompactLayout(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	for _, plain := range []string{`{"a":"b"}`, `{"a": "b", "c": [1]}`, "{}", "{ }\n", "{\n  \"k\": {}\n}\n"} {
		res, err := Encrypt([]byte(plain), alice.EncryptOpts())
		if err != nil {
			t.Fatalf("%s: %v", plain, err)
		}
		if strings.HasPrefix(plain, `{"a":"b"}`) && !strings.Contains(string(res.Out), `,"sops":{"age":[{"enc":`) {
			t.Errorf("compact file, metadata not compact: %s", res.Out)
		}
		d, err := Decrypt(res.Out, alice.DecryptOpts())
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Text) != plain {
			t.Errorf("%q came back as %q", plain, d.Text)
		}
	}
}

func TestRefused(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	for _, plain := range []string{`[1]`, `"x"`, `{"a": 1,}`, `{"a": "\ud800"}`, "{\"a\": \"\xff\"}", `{"sops": 1}`, `{"a": 1e400}`, `{"a": "ENC[AES256_GCM,data:x]"}`} {
		if _, err := Encrypt([]byte(plain), alice.EncryptOpts()); err == nil {
			t.Errorf("%s: encrypted", plain)
		}
	}
}

func mask(b []byte) string { return fmttest.Mask(b, `"lastmodified"`) }

// A file in sops's own layout (tabs) comes out of sv exactly as sops
// writes it, metadata included, for one key and for key groups with
// selection rules.
func TestMetadataAsSopsWritesIt(t *testing.T) {
	alice, bob := fmttest.Load(t, "alice.agekey"), fmttest.Load(t, "bob.agekey")
	plain := []byte("{\n\t\"db\": {\n\t\t\"password\": \"pw\",\n\t\t\"port\": 5432\n\t},\n\t\"list\": [\n\t\t1,\n\t\ttrue\n\t]\n}\n")
	dir := t.TempDir()
	src := filepath.Join(dir, "plain.json")
	os.WriteFile(src, plain, 0o600)
	for name, c := range map[string]struct {
		opt    yamlwalk.EncryptOptions
		config string
	}{
		"one key": {alice.EncryptOpts(), ""},
		"groups": {yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.Recipient}, {bob.Recipient}}, ShamirThreshold: 2,
			Rules: yamlwalk.Rules{EncryptedRegex: "^pass", MACOnlyEncrypted: true}},
			"creation_rules:\n  - key_groups:\n      - age: [" + alice.Recipient.String + "]\n      - age: [" + bob.Recipient.String + "]\n    shamir_threshold: 2\n    encrypted_regex: ^pass\n    mac_only_encrypted: true\n"},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"encrypt", src}
			os.Remove(filepath.Join(dir, ".sops.yaml"))
			if c.config != "" {
				os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(c.config), 0o600)
			} else {
				args = []string{"encrypt", "--age", alice.Recipient.String, src}
			}
			sopsOut := fmttest.MustSops(t, dir, alice.File, args...)
			res, err := Encrypt(plain, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if mask(res.Out) != mask(sopsOut) {
				t.Errorf("sv:\n%s\nsops:\n%s", res.Out, sopsOut)
			}
		})
	}
}
