package jsonfile

import (
	"bytes"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// FuzzRoundTrip: any JSON object sv encrypts decrypts to the same bytes
// (or, for respelled strings, the same values), and what the parser
// refuses is refused without a panic.
func FuzzRoundTrip(f *testing.F) {
	for _, b := range fmttest.Seeds("testdata/*.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"a":[{"b":[1,-0.5e-3,true,null,""]}],"c_unencrypted":"x"}`))
	opt := fmttest.FuzzOpts(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Encrypt(b, opt)
		if !fmttest.CheckFaithful(t, err) {
			return
		}
		d, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: opt.Keys})
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if len(res.Respelled) == 0 && !IsEncrypted(b) && !bytes.Equal(d.Text, b) {
			t.Fatalf("round trip: %q -> %q", b, d.Text)
		}
	})
}
