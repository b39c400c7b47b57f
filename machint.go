package main

import (
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/yamlwalk"
)

// valuePaths lists, without a key, the values of an encrypted file that are
// in plaintext although its rules want them encrypted (added or replaced
// by hand, or by someone without the key), and the values its rules leave
// in plaintext. Paths only, never values.
func valuePaths(src []byte) (toEncrypt, clear []string) {
	info, err := inspectAny(src)
	if err != nil || info.Metadata == nil {
		return nil, nil
	}
	for _, l := range info.Leaves {
		switch {
		case l.Plaintext():
			toEncrypt = append(toEncrypt, l.Path)
		case !l.ShouldEncrypt && !l.Null && !l.Empty:
			clear = append(clear, l.Path)
		}
	}
	return toEncrypt, clear
}

// explainIntegrity adds hints that fit the command the user ran (encrypt
// or decrypt) to a MAC mismatch or a plaintext value in an encrypted file,
// naming the paths that are in plaintext. Other errors pass unchanged.
func explainIntegrity(err error, cmd, file string, src []byte) error {
	var mac *yamlwalk.MACError
	isMAC := errors.As(err, &mac)
	if !isMAC && !errors.Is(err, yamlwalk.ErrNotPlain) {
		return err
	}
	toEncrypt, clear := valuePaths(src)
	var hints []string
	if len(toEncrypt) > 0 {
		hints = append(hints, fmt.Sprintf("in plaintext in this encrypted file: %s (if you did not put them there, someone without the key did: git log -p %s)", listPaths(toEncrypt, 5), file))
	}
	if isMAC && len(clear) > 0 && !mac.Missing {
		hints = append(hints, fmt.Sprintf("the MAC also covers the values left in plaintext (%s): a hand edit of one of them gives this error too", listPaths(clear, 5)))
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
