package dotenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// sopsView is a dotenv file as sops's decryption writes it: no blank
// lines, one line per value.
func sopsView(b []byte) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestInteropWithSops(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	files, _ := filepath.Glob("testdata/*.env")
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			plain, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			res, err := Encrypt(plain, alice.EncryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decrypt(res.Out, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Text, plain) {
				t.Errorf("round trip not byte-identical:\n%q\nwant\n%q", d.Text, plain)
			}
			// Only value lines changed: same lines, each either equal or
			// the same key with an ENC value.
			pl := strings.Split(strings.TrimSuffix(string(plain), "\n"), "\n")
			el := strings.Split(string(res.Out), "\n")
			j := 0
			for i := 0; i < len(pl); i++ {
				if pl[i] == el[j] {
					j++
					continue
				}
				k, _, ok := strings.Cut(pl[i], "=")
				if !ok || !strings.HasPrefix(el[j], k+"=ENC[AES256_GCM,") {
					t.Errorf("line %d changed: %q -> %q", i+1, pl[i], el[j])
				}
				if strings.Contains(el[j], Multiline) {
					for !strings.ContainsAny(pl[i+1], `"'`) {
						i++
					}
					i++
				}
				j++
			}
			out := alice.SopsDecrypt(t, dir, "sv.enc.env", res.Out)
			want := sopsView(plain)
			if name == "multiline.env" {
				want = "# a PEM key in double quotes spans lines\n" +
					`TLS_KEY="-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"` + "\nNEXT=after\n" + `SINGLE='one\ntwo'`
			}
			if sopsView(out) != want {
				t.Errorf("sops decrypts sv's file to\n%s\nwant\n%s", out, want)
			}
			if name == "multiline.env" {
				return // sops cannot read the plaintext
			}
			// sops encrypts (comments too), sv decrypts to sops's layout.
			sopsEnc := alice.SopsEncrypt(t, dir, "plain.env", plain)
			d2, err := Decrypt(sopsEnc, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			sopsPlain := alice.SopsDecrypt(t, dir, "sv.enc.env", sopsEnc)
			if string(d2.Text) != string(sopsPlain) {
				t.Errorf("sv decrypts sops's file to\n%s\nsops:\n%s", d2.Text, sopsPlain)
			}
		})
	}
}

func TestCRLF(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	plain := []byte("A=1\r\nB=\"x y\"\r\n# c\r\n")
	res, err := Encrypt(plain, alice.EncryptOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(res.Out, []byte("]\r\nB=ENC[")) {
		t.Errorf("CRLF not kept: %q", res.Out)
	}
	dir := t.TempDir()
	out := alice.SopsDecrypt(t, dir, "f.env", res.Out)
	if string(out) != string(plain) {
		t.Errorf("sops: %q", out)
	}
	// A blank line in a CRLF file is "\r", which sops refuses: sv warns.
	res, err = Encrypt([]byte("A=1\r\n\r\nB=2\r\n"), alice.EncryptOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "line 2") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestEncryptComments(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	plain := []byte("# secret note\nA=1\n#\n")
	opt := alice.EncryptOpts()
	opt.EncryptComments = true
	res, err := Encrypt(plain, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(res.Out), "#ENC[AES256_GCM,") || !strings.Contains(string(res.Out), "\n#\n") {
		t.Errorf("comment not encrypted: %s", res.Out)
	}
	dir := t.TempDir()
	out := alice.SopsDecrypt(t, dir, "f.env", res.Out)
	if string(out) != string(plain) {
		t.Errorf("sops: %q", out)
	}
}

func TestSelectionAndIncremental(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	plain := []byte("USER=admin\nPASSWORD=pw\n# the token\nTOKEN=t\n")
	opt := alice.EncryptOpts()
	opt.Rules = yamlwalk.Rules{EncryptedRegex: "PASS|TOKEN"}
	res, err := Encrypt(plain, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Encrypted != 2 || !strings.HasPrefix(string(res.Out), "USER=admin\n") || !strings.Contains(string(res.Out), "sops_encrypted_regex=PASS|TOKEN\n") {
		t.Errorf("%d values:\n%s", res.Encrypted, res.Out)
	}
	added := append([]byte("NEW_PASSWORD=x\n"), res.Out...)
	res2, err := Encrypt(added, yamlwalk.EncryptOptions{Keys: alice.Keyring, Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Encrypted != 1 {
		t.Errorf("incremental: %d", res2.Encrypted)
	}
	dir := t.TempDir()
	out := alice.SopsDecrypt(t, dir, "f.env", res2.Out)
	if string(out) != "NEW_PASSWORD=x\n"+string(plain) {
		t.Errorf("sops: %q", out)
	}
	// Tampering: moving a value to another key fails by name.
	moved := strings.Replace(string(res.Out), "TOKEN=ENC", "PASSWORD2=ENC", 1)
	moved = strings.Replace(moved, "sops_encrypted_regex=PASS|TOKEN", "sops_encrypted_regex=PASS", 1)
	if _, err := Decrypt([]byte(moved), alice.DecryptOpts()); err == nil || !strings.Contains(err.Error(), "PASSWORD2") {
		t.Errorf("moved value: %v", err)
	}
}

func TestRefused(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	for _, plain := range []string{"NOEQUALS\n", "sops_x=1\n", "A=ENC[AES256_GCM,data:x]\n"} {
		if _, err := Encrypt([]byte(plain), alice.EncryptOpts()); err == nil {
			t.Errorf("%q: encrypted", plain)
		}
	}
}

func TestMultilineMarkerChecked(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	res, err := Encrypt([]byte("A=x\\nB=evil\n"), alice.EncryptOpts())
	if err != nil {
		t.Fatal(err)
	}
	// A marker added without the key must not turn \n into a new line.
	marked := strings.Replace(string(res.Out), "]\n", "]"+Multiline+"\n", 1)
	if _, err := Decrypt([]byte(marked), alice.DecryptOpts()); err == nil {
		t.Error("a forged multi-line marker was honoured")
	}
}

func mask(b []byte) string { return fmttest.Mask(b, "sops_lastmodified=") }

// sv writes the sops_ lines exactly as sops does, for one key and for key
// groups with selection rules.
func TestMetadataAsSopsWritesIt(t *testing.T) {
	alice, bob := fmttest.Load(t, "alice.agekey"), fmttest.Load(t, "bob.agekey")
	plain := []byte("USER=app\nPASSWORD=pw\nexport TOKEN='t'\n")
	dir := t.TempDir()
	src := filepath.Join(dir, "plain.env")
	os.WriteFile(src, plain, 0o600)
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte("creation_rules:\n  - key_groups:\n      - age: ["+alice.Recipient.String+"]\n      - age: ["+bob.Recipient.String+"]\n    shamir_threshold: 2\n    encrypted_regex: PASS\n    mac_only_encrypted: true\n"), 0o600)
	sopsOut := fmttest.MustSops(t, dir, alice.File, "encrypt", src)
	res, err := Encrypt(plain, yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.Recipient}, {bob.Recipient}}, ShamirThreshold: 2,
		Rules: yamlwalk.Rules{EncryptedRegex: "PASS", MACOnlyEncrypted: true}})
	if err != nil {
		t.Fatal(err)
	}
	if mask(res.Out) != mask(sopsOut) {
		t.Errorf("sv:\n%s\nsops:\n%s", res.Out, sopsOut)
	}
	os.Remove(filepath.Join(dir, ".sops.yaml"))
	sopsOut = fmttest.MustSops(t, dir, alice.File, "encrypt", "--age", alice.Recipient.String, src)
	res, err = Encrypt(plain, alice.EncryptOpts())
	if err != nil {
		t.Fatal(err)
	}
	if mask(res.Out) != mask(sopsOut) {
		t.Errorf("sv:\n%s\nsops:\n%s", res.Out, sopsOut)
	}
}
