package inifile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

type fixedKeys struct{ id *age.X25519Identity }

func (k fixedKeys) DataKey(groups []crypt.KeyGroup, _ int) ([]byte, error) {
	return crypt.Unwrap(groups[0].Age[0].Enc, []age.Identity{k.id})
}

// FuzzRoundTrip: whatever sv encrypts decrypts to what sops's own round
// trip of the plaintext gives (the INI library's layout of it).
func FuzzRoundTrip(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.ini")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		opt := yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Keys: fixedKeys{id}, Now: time.Unix(1e9, 0)}
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
		if err != nil {
			if _, ok := err.(*yamlwalk.ErrUnfaithful); ok {
				t.Fatalf("unfaithful: %v", err)
			}
			return
		}
		if IsEncrypted(b) {
			return
		}
		d, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: fixedKeys{id}})
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if string(d.Text) != string(want) {
			t.Fatalf("round trip: %q -> %q, want %q", b, d.Text, want)
		}
	})
}
