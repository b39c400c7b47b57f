package crypt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestAAD(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{nil, ":"},
		{[]string{"a"}, "a:"},
		{[]string{"nested", "a", "b"}, "nested:a:b:"},
		{[]string{"k:with:colon"}, "k:with:colon:"},
	} {
		if got := AAD(tc.path); got != tc.want {
			t.Errorf("AAD(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestCipherKnownFormat(t *testing.T) {
	key := bytes.Repeat([]byte{1}, KeySize)
	c, _ := NewCipher(key)
	enc, err := c.Encrypt([]byte("hello"), TypeStr, "str:", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseValue(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.IV) != 32 || len(v.Tag) != 16 || len(v.Data) != 5 || v.Type != "str" {
		t.Fatalf("unexpected shape: iv %d tag %d data %d type %s", len(v.IV), len(v.Tag), len(v.Data), v.Type)
	}
	// The same IV and key reproduce the ciphertext (sops's IV stash).
	again, _ := c.Encrypt([]byte("hello"), TypeStr, "str:", v.IV)
	if again != enc {
		t.Fatal("same key, IV and plaintext gave another ciphertext")
	}
	// A 12-byte IV (older writers) decrypts too.
	iv12 := make([]byte, 12)
	rand.Read(iv12)
	short, _ := c.Encrypt([]byte("x"), TypeStr, "a:", iv12)
	if pt, _, err := c.Decrypt(short, "a:"); err != nil || string(pt) != "x" {
		t.Fatalf("12-byte IV: %v", err)
	}
	if _, _, err := c.Decrypt(enc, "other:"); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong AAD: %v", err)
	}
}

func TestMACUpperHexAndSeed(t *testing.T) {
	m := NewMAC(false)
	m.Add([]byte("a"))
	if s := m.Sum(); s != strings.ToUpper(s) || len(s) != 128 {
		t.Fatalf("MAC not upper-case SHA-512 hex: %s", s)
	}
	if NewMAC(true).Sum() == NewMAC(false).Sum() {
		t.Fatal("mac_only_encrypted seed has no effect")
	}
	aad, err := MACAAD("2026-11-22T06:23:15.123Z")
	if err != nil || aad != "2026-11-22T06:23:15Z" {
		t.Fatalf("MACAAD truncates to seconds: %q %v", aad, err)
	}
}

func TestShamir(t *testing.T) {
	secret := make([]byte, KeySize)
	rand.Read(secret)
	shares, err := SplitKey(secret, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]int{{0, 1}, {1, 2}, {0, 2}} {
		got, err := CombineKey([][]byte{shares[pair[0]], shares[pair[1]]})
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("shares %v: %v", pair, err)
		}
	}
	one, _ := CombineKey([][]byte{shares[0], shares[0][:len(shares[0])]})
	if bytes.Equal(one, secret) {
		t.Fatal("duplicate shares recovered the secret")
	}
}

func TestWrapUnwrapAndMix(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	r1, err := ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseRecipient(pq.Recipient().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r2.PostQuantum() || r1.PostQuantum() {
		t.Fatal("post-quantum detection")
	}
	if err := CheckMix([]Recipient{r1, r2}); !errors.Is(err, ErrMixedPQ) {
		t.Fatalf("mix: %v", err)
	}
	key := bytes.Repeat([]byte{9}, KeySize)
	enc, err := Wrap(key, r2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "-----BEGIN AGE ENCRYPTED FILE-----\n") || !strings.HasSuffix(enc, "-----END AGE ENCRYPTED FILE-----\n") {
		t.Fatalf("not an armored age file: %q", enc)
	}
	got, err := Unwrap(enc, []age.Identity{pq})
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap: %v", err)
	}
	var nm *age.NoIdentityMatchError
	if _, err := Unwrap(enc, []age.Identity{id}); !errors.As(err, &nm) {
		t.Fatalf("wrong identity: %v", err)
	}
	if _, err := ParseRecipient("age1yubikey1qwerty", nil); err == nil || !strings.Contains(err.Error(), "plugin") {
		t.Fatalf("plugin recipient without plugins: %v", err)
	}
}
