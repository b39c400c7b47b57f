package yamlwalk

import (
	"os"
	"testing"

	"github.com/sv-secrets/sv/crypt"
)

// BenchmarkDecryptComments decrypts files whose comments are encrypted the
// way sops encrypts them (every comment an #ENC[…] bound to its branch's
// path), next to BenchmarkDecrypt's files with plaintext comments.
// SV_BENCH_FILE=PATH (with SOPS_AGE_KEY_FILE) benchmarks a file written by
// the real sops instead.
func BenchmarkDecryptComments(b *testing.B) {
	if p := os.Getenv("SV_BENCH_FILE"); p != "" {
		noCrossCheck(b)
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		kr, err := crypt.LoadKeyring(crypt.DefaultEnv())
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decrypt(src, DecryptOptions{Keys: kr}); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	r, kr := testKeys(b)
	benchSizes(b, func(b *testing.B, src []byte) {
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := Decrypt(res.Out, DecryptOptions{Keys: kr}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyReadBack is what reading a decrypted 100k-leaf file back
// costs (Decrypt does it when an edit can reach beyond its scalar: block
// text, comment items, alias copies).
func BenchmarkVerifyReadBack(b *testing.B) {
	r, kr := testKeys(b)
	benchSizes(b, func(b *testing.B, src []byte) {
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
		if err != nil {
			b.Fatal(err)
		}
		dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
		if err != nil {
			b.Fatal(err)
		}
		g, err := Parse(dec.Text)
		if err != nil {
			b.Fatal(err)
		}
		var want []readBack
		if err := g.walk(false, func(l *Leaf) error {
			typ, pt, err := plaintext(l.Node)
			want = append(want, readBack{path: l.Path, line: l.Node.Line, typ: typ, pt: pt})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if err := verifyReadBack(dec.Text, want); err != nil {
				b.Fatal(err)
			}
		}
	})
}
