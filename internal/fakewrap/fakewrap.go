// Package fakewrap makes stand-ins for wrapped data keys in tests: armored
// age files whose header parses (sv's readers check that every age entry
// is an age file) but that open for no one. It uses only the age armor.
package fakewrap

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"filippo.io/age/armor"
)

// Armored returns an armored age file with one X25519 stanza derived from
// label, so different labels give different texts. It ends in a newline.
func Armored(label string) string {
	sum := sha256.Sum256([]byte(label))
	b64 := base64.RawStdEncoding.EncodeToString(sum[:])
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	fmt.Fprintf(w, "age-encryption.org/v1\n-> X25519 %s\n%s\n--- %s\n", b64, b64, b64)
	w.Write(sum[:])
	w.Close()
	return buf.String() + "\n"
}
