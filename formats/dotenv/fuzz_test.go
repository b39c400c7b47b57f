package dotenv

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

type fixedKeys struct{ id *age.X25519Identity }

func (k fixedKeys) DataKey(groups []crypt.KeyGroup, _ int) ([]byte, error) {
	return crypt.Unwrap(groups[0].Age[0].Enc, []age.Identity{k.id})
}

// FuzzRoundTrip: any file sv encrypts decrypts to the same bytes, and
// what the parser refuses is refused without a panic.
func FuzzRoundTrip(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.env")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b, false)
	}
	f.Add([]byte("A='x\n#y\nB=\"z'\n  \n\r\n"), true)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, comments bool) {
		opt := yamlwalk.EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Keys: fixedKeys{id}, Now: time.Unix(1e9, 0), EncryptComments: comments}
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
		if !IsEncrypted(b) && !bytes.Equal(d.Text, b) {
			t.Fatalf("round trip: %q -> %q", b, d.Text)
		}
	})
}
