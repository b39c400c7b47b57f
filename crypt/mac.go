package crypt

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
	"time"
)

// MAC accumulates the SOPS message authentication code: SHA-512 over the
// plaintext bytes of every non-null leaf in document order, with no
// separators. Comments are never part of it.
type MAC struct {
	h hash.Hash
}

// NewMAC starts a MAC. With onlyEncrypted (sops's mac_only_encrypted) the
// hash is seeded with sha256("sops") and callers feed only values that are
// encrypted.
func NewMAC(onlyEncrypted bool) *MAC {
	m := &MAC{h: sha512.New()}
	if onlyEncrypted {
		seed := sha256.Sum256([]byte("sops"))
		m.h.Write(seed[:])
	}
	return m
}

// Add feeds one leaf's plaintext bytes (see the Plaintext functions).
func (m *MAC) Add(plaintext []byte) { m.h.Write(plaintext) }

// Sum returns the digest in upper-case hex, as sops stores it.
func (m *MAC) Sum() string {
	return strings.ToUpper(hex.EncodeToString(m.h.Sum(nil)))
}

// MACAAD returns the additional data the encrypted MAC is bound to:
// lastmodified re-formatted as RFC 3339 (whole seconds), as sops does.
func MACAAD(lastModified string) (string, error) {
	t, err := time.Parse(time.RFC3339, lastModified)
	if err != nil {
		return "", err
	}
	return t.Format(time.RFC3339), nil
}

// LastModified formats t the way sops writes the lastmodified field.
func LastModified(t time.Time) string { return t.UTC().Format(time.RFC3339) }
