package dotenv

import (
	"bytes"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// FuzzRoundTrip: any file sv encrypts decrypts to the same bytes, and
// what the parser refuses is refused without a panic.
func FuzzRoundTrip(f *testing.F) {
	for _, b := range fmttest.Seeds("testdata/*.env") {
		f.Add(b, false)
	}
	f.Add([]byte("A='x\n#y\nB=\"z'\n  \n\r\n"), true)
	base := fmttest.FuzzOpts(f)
	f.Fuzz(func(t *testing.T, b []byte, comments bool) {
		opt := base
		opt.EncryptComments = comments
		res, err := Encrypt(b, opt)
		if !fmttest.CheckFaithful(t, err) {
			return
		}
		d, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: opt.Keys})
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if !IsEncrypted(b) && !bytes.Equal(d.Text, b) {
			t.Fatalf("round trip: %q -> %q", b, d.Text)
		}
	})
}
