package inifile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

func encryptOpts(id fmttest.Identity) yamlwalk.EncryptOptions {
	return yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{id.Recipient}}, Keys: id.Keyring, Now: time.Now()}
}

// sv and sops write and read the same INI files: each decrypts the other's
// output to what sops's own round trip gives.
func TestInteropWithSops(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	files, _ := filepath.Glob("testdata/*.ini")
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			plain, _ := os.ReadFile(file)
			dir := t.TempDir()
			src := filepath.Join(dir, "plain.ini")
			os.WriteFile(src, plain, 0o600)
			sopsEnc := fmttest.MustSops(t, dir, alice.File, "encrypt", "--age", alice.Recipient.String, src)
			enc := filepath.Join(dir, "enc.ini")
			os.WriteFile(enc, sopsEnc, 0o600)
			sopsPlain := fmttest.MustSops(t, dir, alice.File, "decrypt", enc)

			d, err := Decrypt(sopsEnc, yamlwalk.DecryptOptions{Keys: alice.Keyring})
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Text) != string(sopsPlain) {
				t.Errorf("sv decrypts sops's file to\n%s\nsops:\n%s", d.Text, sopsPlain)
			}
			opt := encryptOpts(alice)
			opt.EncryptComments = true // as sops does
			res, err := Encrypt(plain, opt)
			if err != nil {
				t.Fatal(err)
			}
			if name == "normalized.ini" && len(res.Warnings) != 0 {
				t.Errorf("warnings for a file in sops's layout: %v", res.Warnings)
			}
			// Same layout as sops's, line for line, up to the ciphertexts.
			mask := func(b []byte) []string {
				var out []string
				for _, l := range strings.Split(string(b), "\n") {
					if i := strings.Index(l, "ENC["); i >= 0 {
						l = l[:i]
					}
					if i := strings.Index(l, "-----BEGIN"); i >= 0 {
						l = l[:i]
					}
					if strings.HasPrefix(l, "lastmodified") {
						l = "lastmodified"
					}
					out = append(out, l)
				}
				return out
			}
			if strings.Join(mask(res.Out), "\n") != strings.Join(mask(sopsEnc), "\n") {
				t.Errorf("sv's layout\n%s\nsops's\n%s", res.Out, sopsEnc)
			}
			os.WriteFile(enc, res.Out, 0o600)
			out := fmttest.MustSops(t, dir, alice.File, "decrypt", enc)
			if string(out) != string(sopsPlain) {
				t.Errorf("sops decrypts sv's file to\n%s\nwant\n%s", out, sopsPlain)
			}
			d2, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: alice.Keyring})
			if err != nil {
				t.Fatal(err)
			}
			if string(d2.Text) != string(sopsPlain) {
				t.Errorf("sv round trip\n%s\nwant\n%s", d2.Text, sopsPlain)
			}
		})
	}
}

func TestCommentsPlainByDefault(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	res, err := Encrypt([]byte("[a]\n; note\nk = v\n"), encryptOpts(alice))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Out), "; note") {
		t.Errorf("%s", res.Out)
	}
}

func TestErrorsNameNoText(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	for _, in := range []string{"[s]\nsupersecret\n", "[unclosed-supersecret\n", "\"supersecret = 1\n"} {
		_, err := Encrypt([]byte(in), encryptOpts(alice))
		if err == nil || strings.Contains(err.Error(), "supersecret") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
