package inifile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
)

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
			sopsEnc := alice.SopsEncrypt(t, dir, "plain.ini", plain)
			sopsPlain := alice.SopsDecrypt(t, dir, "enc.ini", sopsEnc)

			d, err := Decrypt(sopsEnc, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Text) != string(sopsPlain) {
				t.Errorf("sv decrypts sops's file to\n%s\nsops:\n%s", d.Text, sopsPlain)
			}
			opt := alice.EncryptOpts()
			opt.EncryptComments = true // as sops does
			res, err := Encrypt(plain, opt)
			if err != nil {
				t.Fatal(err)
			}
			if name == "normalized.ini" && len(res.Warnings) != 0 {
				t.Errorf("warnings for a file in sops's layout: %v", res.Warnings)
			}
			// Same layout as sops's, line for line, up to the ciphertexts.
			if fmttest.Mask(res.Out, "lastmodified") != fmttest.Mask(sopsEnc, "lastmodified") {
				t.Errorf("sv's layout\n%s\nsops's\n%s", res.Out, sopsEnc)
			}
			out := alice.SopsDecrypt(t, dir, "enc.ini", res.Out)
			if string(out) != string(sopsPlain) {
				t.Errorf("sops decrypts sv's file to\n%s\nwant\n%s", out, sopsPlain)
			}
			d2, err := Decrypt(res.Out, alice.DecryptOpts())
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
	res, err := Encrypt([]byte("[a]\n; note\nk = v\n"), alice.EncryptOpts())
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
		_, err := Encrypt([]byte(in), alice.EncryptOpts())
		if err == nil || strings.Contains(err.Error(), "supersecret") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
