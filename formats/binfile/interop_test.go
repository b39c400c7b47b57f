package binfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

func TestInteropWithSops(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	bundle, err := os.ReadFile("testdata/bundle.bin")
	if err != nil {
		t.Fatal(err)
	}
	for name, plain := range map[string][]byte{"bundle": bundle, "empty": {}, "text": []byte("hello\n")} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := Encrypt(plain, alice.EncryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			enc := filepath.Join(dir, "f.bin")
			os.WriteFile(enc, res.Out, 0o600)
			out := fmttest.MustSops(t, dir, alice.File, "decrypt", "--input-type", "binary", "--output-type", "binary", enc)
			if !bytes.Equal(out, plain) {
				t.Errorf("sops decrypts sv's file to %q", out)
			}
			sopsEnc := alice.SopsEncrypt(t, dir, "plain.bin", plain)
			d, err := Decrypt(sopsEnc, alice.DecryptOpts())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Text, plain) {
				t.Errorf("sv decrypts sops's file to %q", d.Text)
			}
			// Same layout as sops's.
			lines := func(b []byte) int { return strings.Count(string(b), "\n") }
			if lines(res.Out) != lines(sopsEnc) || !strings.HasPrefix(string(res.Out), "{\n\t\"data\": \"") {
				t.Errorf("layout: %d lines %q\nsops: %d lines", lines(res.Out), res.Out[:40], lines(sopsEnc))
			}
		})
	}
}

func TestRulesIgnored(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	opt := alice.EncryptOpts()
	opt.Rules = yamlwalk.Rules{EncryptedRegex: "^password$"}
	res, err := Encrypt([]byte("x"), opt)
	if err != nil || res.Encrypted != 1 || len(res.Warnings) != 1 || strings.Contains(string(res.Out), "encrypted_regex") {
		t.Fatalf("%v %v", err, res)
	}
}
