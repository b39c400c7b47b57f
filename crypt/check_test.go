package crypt

import (
	"strings"
	"testing"

	"filippo.io/age"
)

func TestCheckWrapped(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Wrap(make([]byte, KeySize), Recipient{String: id.Recipient().String(), Recipient: id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckWrapped(enc); err != nil {
		t.Fatalf("a wrapped key: %v", err)
	}
	bad := map[string]string{
		"garbage":        "garbage",
		"empty armor":    "-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n",
		"bad base64":     "-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n",
		"truncated":      enc[:len(enc)/2],
		"too large":      strings.Repeat("A", MaxWrappedSize+1),
		"no stanza text": "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0tLSBBQUFBCg==\n-----END AGE ENCRYPTED FILE-----\n",
	}
	for name, enc := range bad {
		if err := CheckWrapped(enc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
