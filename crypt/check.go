package crypt

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// MaxWrappedSize bounds an age entry's enc field. A wrapped data key is a
// few hundred bytes (a post-quantum stanza a few kilobytes); anyone can put
// a larger one into a file.
const MaxWrappedSize = 64 << 10

// ErrNotWrapped means an age entry's enc field is not an armored age file
// holding at least one recipient stanza.
var ErrNotWrapped = errors.New("enc is not an age-encrypted file (its armor or header does not parse)")

// CheckWrapped checks, without any identity, that enc is an armored age
// file whose header parses and holds at least one recipient stanza. sops
// and sv write every age entry so; anything else was put there by hand.
func CheckWrapped(enc string) error {
	if len(enc) > MaxWrappedSize {
		return errors.New("enc is too large for a wrapped data key")
	}
	b, err := io.ReadAll(io.LimitReader(armor.NewReader(strings.NewReader(enc)), MaxWrappedSize))
	if err != nil {
		return ErrNotWrapped
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(b))
	if err != nil {
		return ErrNotWrapped
	}
	var c stanzaCounter
	if _, err := age.DecryptHeader(hdr, &c); c.n == 0 || err == nil {
		return ErrNotWrapped
	}
	return nil
}

// stanzaCounter is an identity that opens nothing and counts the stanzas
// it is offered.
type stanzaCounter struct{ n int }

func (c *stanzaCounter) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	c.n += len(stanzas)
	return nil, age.ErrIncorrectIdentity
}
