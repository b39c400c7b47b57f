// Package crypt implements the cryptography of the SOPS file format as sv
// uses it: the 32-byte data key, the per-value AES-256-GCM cipher with the
// value's path as additional data, the SHA-512 MAC over all values, the age
// wrapping of the data key (one armored age file per recipient), Shamir
// key groups, and the places identities are loaded from.
//
// Nothing in this package prints or exits; errors never contain plaintext.
package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a SOPS data key.
const KeySize = 32

// ivSize is what sops writes; any IV length decrypts.
const ivSize = 32

const tagSize = 16

// Value types as sops spells them in the type field.
const (
	TypeStr     = "str"
	TypeInt     = "int"
	TypeFloat   = "float"
	TypeBool    = "bool"
	TypeTime    = "time"
	TypeComment = "comment"
	TypeBytes   = "bytes"
)

// NewDataKey returns a fresh random data key.
func NewDataKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating data key: %w", err)
	}
	return k, nil
}

// Value is a parsed ENC[AES256_GCM,...] string.
type Value struct {
	Data []byte // ciphertext without the tag
	IV   []byte
	Tag  []byte
	Type string

	sealed []byte // Data||Tag as parsed, for GCM
}

// ErrNotENC is returned by ParseValue for strings that are not in the
// ENC[AES256_GCM,...] format at all.
var ErrNotENC = errors.New("not an ENC[AES256_GCM,...] value")

// IsENC reports whether s looks like an encrypted value (it may still fail to
// parse). This matches how sops tells encrypted from plain values.
func IsENC(s string) bool { return strings.HasPrefix(s, "ENC[AES256_GCM,") }

// ParseValue parses s, which must start with an ENC[AES256_GCM,...] value.
// Like sops (which matches an unanchored-at-end regexp), anything after the
// closing bracket on the same line is ignored, so a value written as a
// literal block scalar (with a trailing newline) parses too.
func ParseValue(s string) (*Value, error) {
	if !IsENC(s) {
		return nil, ErrNotENC
	}
	// sops: ^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]
	// where '.' does not match a newline and every group is greedy.
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	body := s[len("ENC[AES256_GCM,"):]
	end := strings.LastIndexByte(body, ']')
	if end < 0 {
		return nil, errors.New("malformed ENC value: no closing bracket")
	}
	body = body[:end]
	// Greedy groups: type is after the last ",type:", tag before it, etc.
	fields := []string{"data:", ",iv:", ",tag:", ",type:"}
	var parts [4]string
	rest := body
	for i := len(fields) - 1; i >= 1; i-- {
		j := strings.LastIndex(rest, fields[i])
		if j < 0 {
			return nil, fmt.Errorf("malformed ENC value: no %s field", strings.Trim(fields[i], ",:"))
		}
		parts[i] = rest[j+len(fields[i]):]
		rest = rest[:j]
	}
	if !strings.HasPrefix(rest, "data:") {
		return nil, errors.New("malformed ENC value: no data field")
	}
	parts[0] = rest[len("data:"):]
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("malformed ENC value: empty %s field", strings.Trim(fields[i], ",:"))
		}
	}
	v := &Value{Type: parts[3]}
	// One buffer for data, tag and iv, laid out so that data||tag is
	// contiguous: GCM opens it without another copy.
	enc := base64.StdEncoding
	buf := make([]byte, enc.DecodedLen(len(parts[0]))+enc.DecodedLen(len(parts[2]))+enc.DecodedLen(len(parts[1])))
	n, err := enc.Decode(buf, []byte(parts[0]))
	if err != nil {
		return nil, errors.New("malformed ENC value: data is not base64")
	}
	v.Data = buf[:n:n]
	t, err := enc.Decode(buf[n:], []byte(parts[2]))
	if err != nil || t != tagSize {
		return nil, errors.New("malformed ENC value: tag is not 16 bytes of base64")
	}
	v.Tag = buf[n : n+t : n+t]
	i, err := enc.Decode(buf[n+t:], []byte(parts[1]))
	if err != nil || i == 0 {
		return nil, errors.New("malformed ENC value: iv is not base64")
	}
	v.IV = buf[n+t : n+t+i : n+t+i]
	v.sealed = buf[: n+t : n+t]
	switch v.Type {
	case TypeStr, TypeInt, TypeFloat, TypeBool, TypeTime, TypeComment, TypeBytes:
	default:
		return nil, fmt.Errorf("malformed ENC value: unknown type %q", v.Type)
	}
	return v, nil
}

// String formats v as sops does.
func (v *Value) String() string {
	var b strings.Builder
	enc := base64.StdEncoding
	b.Grow(40 + enc.EncodedLen(len(v.Data)) + enc.EncodedLen(len(v.IV)) + 24 + len(v.Type))
	b.WriteString("ENC[AES256_GCM,data:")
	b.WriteString(enc.EncodeToString(v.Data))
	b.WriteString(",iv:")
	b.WriteString(enc.EncodeToString(v.IV))
	b.WriteString(",tag:")
	b.WriteString(enc.EncodeToString(v.Tag))
	b.WriteString(",type:")
	b.WriteString(v.Type)
	b.WriteString("]")
	return b.String()
}

// Cipher encrypts and decrypts values under one data key.
type Cipher struct {
	block cipher.Block
	gcm   cipher.AEAD // for ivSize nonces, built once: most values use it
}

// NewCipher returns a Cipher for a 32-byte data key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("data key is %d bytes, want %d", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCMWithNonceSize(b, ivSize)
	if err != nil {
		return nil, err
	}
	return &Cipher{block: b, gcm: g}, nil
}

func (c *Cipher) aead(nonceSize int) (cipher.AEAD, error) {
	if nonceSize == ivSize {
		return c.gcm, nil
	}
	return cipher.NewGCMWithNonceSize(c.block, nonceSize)
}

// NewIV returns a random IV of the size sops writes.
func NewIV() ([]byte, error) {
	iv := make([]byte, ivSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("generating iv: %w", err)
	}
	return iv, nil
}

// Encrypt encrypts plaintext of the given type bound to aad (the value's
// path, see AAD). If iv is nil a fresh random IV is used; callers pass a
// previous IV only to reproduce the ciphertext of an unchanged value under
// the same key, as sops's IV stash does.
func (c *Cipher) Encrypt(plaintext []byte, typ, aad string, iv []byte) (string, error) {
	if len(plaintext) == 0 {
		// sops never encrypts empty values; its parser rejects empty data.
		return "", errors.New("empty values are not encrypted")
	}
	if iv == nil {
		var err error
		if iv, err = NewIV(); err != nil {
			return "", err
		}
	}
	gcm, err := c.aead(len(iv))
	if err != nil {
		return "", err
	}
	out := gcm.Seal(nil, iv, plaintext, []byte(aad))
	v := &Value{Data: out[:len(out)-tagSize], IV: iv, Tag: out[len(out)-tagSize:], Type: typ}
	return v.String(), nil
}

// ErrAuth is returned when a value's tag does not verify: the value was
// modified, moved to another path, or encrypted under another key.
var ErrAuth = errors.New("value does not authenticate (modified, moved from another path, or encrypted with another data key)")

// Decrypt decrypts an ENC string bound to aad and returns the plaintext bytes
// and the type field.
func (c *Cipher) Decrypt(enc, aad string) ([]byte, string, error) {
	v, err := ParseValue(enc)
	if err != nil {
		return nil, "", err
	}
	return c.DecryptValue(v, aad)
}

// DecryptValue is Decrypt for an already parsed value.
func (c *Cipher) DecryptValue(v *Value, aad string) ([]byte, string, error) {
	gcm, err := c.aead(len(v.IV))
	if err != nil {
		return nil, "", err
	}
	ct := v.sealed
	if ct == nil {
		ct = append(append(make([]byte, 0, len(v.Data)+len(v.Tag)), v.Data...), v.Tag...)
	}
	pt, err := gcm.Open(nil, v.IV, ct, []byte(aad))
	if err != nil {
		return nil, "", ErrAuth
	}
	return pt, v.Type, nil
}

// AAD returns the additional data sops binds a value to: the mapping keys
// from the document root joined with ":" plus a trailing ":". Sequence
// indices are not part of the path.
func AAD(path []string) string {
	n := 1
	for _, p := range path {
		n += len(p) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range path {
		b.WriteString(p)
		b.WriteByte(':')
	}
	if len(path) == 0 {
		b.WriteByte(':')
	}
	return b.String()
}
