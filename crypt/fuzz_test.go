package crypt

import (
	"bytes"
	"testing"
)

func FuzzParseValue(f *testing.F) {
	f.Add("ENC[AES256_GCM,data:3q2+7w==,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]")
	f.Add("ENC[AES256_GCM,data:,iv:,tag:,type:]")
	f.Add("ENC[AES256_GCM,data:a,b,iv:c,tag:d,type:int]\nrest")
	f.Add("ENC[AES256_GCM,data:YQ==,iv:YQ==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:comment]]")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseValue(s)
		if err != nil {
			return
		}
		// What parses must format back to something that parses the same.
		w, err := ParseValue(v.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", v.String(), err)
		}
		if !bytes.Equal(v.Data, w.Data) || !bytes.Equal(v.IV, w.IV) || !bytes.Equal(v.Tag, w.Tag) || v.Type != w.Type {
			t.Fatalf("round trip changed the value")
		}
	})
}

func FuzzCipher(f *testing.F) {
	f.Add([]byte("hunter2"), "db:password:")
	f.Add([]byte(""), ":")
	key := bytes.Repeat([]byte{7}, KeySize)
	c, err := NewCipher(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pt []byte, aad string) {
		if len(pt) == 0 {
			return
		}
		enc, err := c.Encrypt(pt, TypeStr, aad, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, typ, err := c.Decrypt(enc, aad)
		if err != nil || typ != TypeStr || !bytes.Equal(got, pt) {
			t.Fatalf("round trip failed: %v", err)
		}
		if _, _, err := c.Decrypt(enc, aad+"x"); err == nil {
			t.Fatal("decrypted under another path")
		}
	})
}
