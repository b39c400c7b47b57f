package inifile

import (
	"reflect"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
	"github.com/sv-secrets/sv/yamlwalk"
)

// FuzzRoundTrip: whatever sv encrypts decrypts to what sops's own round
// trip of the plaintext gives (the INI library's layout of it).
func FuzzRoundTrip(f *testing.F) {
	for _, b := range fmttest.Seeds("testdata/*.ini") {
		f.Add(b)
	}
	opt := fmttest.FuzzOpts(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		secs, err := load(b)
		if err != nil {
			return
		}
		want, err := emit(secs)
		if err != nil {
			return
		}
		// A file the library reads back differently than it first read it
		// (its own round trip is not stable) cannot be encrypted
		// faithfully; sv refuses it (sops writes a file it cannot read).
		again, err := load(want)
		if err != nil || !reflect.DeepEqual(again, secs) {
			return
		}
		res, err := Encrypt(b, opt)
		if !fmttest.CheckFaithful(t, err) {
			return
		}
		if IsEncrypted(b) {
			return
		}
		d, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: opt.Keys})
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if string(d.Text) != string(want) {
			t.Fatalf("round trip: %q -> %q, want %q", b, d.Text, want)
		}
	})
}
