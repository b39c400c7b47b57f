package jsonfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// fixedKeys opens every file with one identity.
type fixedKeys struct{ id *age.X25519Identity }

func (k fixedKeys) DataKey(groups []crypt.KeyGroup, _ int) ([]byte, error) {
	return crypt.Unwrap(groups[0].Age[0].Enc, []age.Identity{k.id})
}

// FuzzRoundTrip: any JSON object sv encrypts decrypts to the same bytes
// (or, for respelled strings, the same values), and what the parser
// refuses is refused without a panic.
func FuzzRoundTrip(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add([]byte(`{"a":[{"b":[1,-0.5e-3,true,null,""]}],"c_unencrypted":"x"}`))
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		f.Fatal(err)
	}
	opt := yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Keys: fixedKeys{id}, Now: time.Unix(1e9, 0)}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Encrypt(b, opt)
		if err != nil {
			if _, ok := err.(*yamlwalk.ErrUnfaithful); ok {
				t.Fatalf("unfaithful: %v", err)
			}
			return
		}
		d, err := Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: fixedKeys{id}})
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if len(res.Respelled) == 0 && !IsEncrypted(b) && !bytes.Equal(d.Text, b) {
			t.Fatalf("round trip: %q -> %q", b, d.Text)
		}
	})
}
