package main

import (
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// explainIntegrity adds hints that fit the command the user ran (encrypt
// or decrypt) to a MAC mismatch or a plaintext value in an encrypted file,
// naming the paths that are in plaintext. Other errors pass unchanged.
func explainIntegrity(err error, cmd, file string, src []byte) error {
	var mac *yamlwalk.MACError
	isMAC := errors.As(err, &mac)
	if !isMAC && !errors.Is(err, yamlwalk.ErrNotPlain) {
		return err
	}
	toEncrypt, clear := secretfile.ValuePaths(src)
	var hints []string
	if len(toEncrypt) > 0 {
		hints = append(hints, fmt.Sprintf("in plaintext in this encrypted file: %s (if you did not put them there, someone without the key did: git log -p %s)", secretfile.ListPaths(toEncrypt, 5), file))
	}
	if isMAC && len(clear) > 0 && !mac.Missing {
		hints = append(hints, fmt.Sprintf("the MAC also covers the values left in plaintext (%s): a hand edit of one of them gives this error too", secretfile.ListPaths(clear, 5)))
	}
	switch {
	case cmd == "encrypt" && isMAC:
		hints = append(hints, fmt.Sprintf("if you trust every value of the file as it is, 'sv encrypt --ignore-mac %s' encrypts the plaintext values and writes a new MAC; otherwise restore it from git and change values with 'sv set' or 'sv edit'", file))
	case cmd == "decrypt" && isMAC:
		hints = append(hints, "if you trust the file as it is, 'sv decrypt --ignore-mac' recovers the values; every value's own tag is still checked")
	case cmd == "decrypt":
		hints = append(hints, fmt.Sprintf("values added by hand are encrypted with 'sv encrypt %s' (it names each one)", file))
	}
	return withHint(err, hints...)
}
