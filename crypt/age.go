package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"
)

// Recipient is a parsed age recipient together with the string it was
// written as; the string is what goes into the sops block.
type Recipient struct {
	String string
	age.Recipient
}

// PostQuantum reports whether r is a post-quantum hybrid recipient.
func (r Recipient) PostQuantum() bool { return strings.HasPrefix(r.String, "age1pq1") }

// ParseRecipient parses one recipient: age1… (X25519), age1pq1… (hybrid
// post-quantum), age1<plugin>1… (age plugins, through ui), ssh-ed25519 and
// ssh-rsa public keys.
func ParseRecipient(s string, ui *plugin.ClientUI) (Recipient, error) {
	s = strings.TrimSpace(s)
	var (
		r   age.Recipient
		err error
	)
	// Bech32 data never contains '1', so the last '1' ends the prefix:
	// "age" for X25519, "age1pq" for hybrid, "age1NAME" for plugins.
	hrp := s[:max(strings.LastIndexByte(s, '1'), 0)]
	switch {
	case hrp == "age1pq":
		r, err = age.ParseHybridRecipient(s)
	case strings.HasPrefix(hrp, "age1"):
		if ui == nil {
			return Recipient{}, fmt.Errorf("recipient %q needs an age plugin, which is not available here", abbrev(s))
		}
		r, err = plugin.NewRecipient(s, ui)
	case hrp == "age":
		r, err = age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-"):
		r, err = agessh.ParseRecipient(s)
	default:
		return Recipient{}, fmt.Errorf("unknown recipient type %q", abbrev(s))
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("invalid recipient %q: %w", abbrev(s), err)
	}
	return Recipient{String: s, Recipient: r}, nil
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// ParseRecipients parses a list whose entries may each hold several
// comma-separated recipients, and refuses to mix post-quantum and classic
// recipients (a classic recipient would undo the post-quantum protection).
func ParseRecipients(list []string, ui *plugin.ClientUI) ([]Recipient, error) {
	var out []Recipient
	seen := map[string]bool{}
	for _, entry := range list {
		for _, s := range strings.Split(entry, ",") {
			s = strings.TrimSpace(s)
			if s == "" || seen[s] {
				continue
			}
			seen[s] = true
			r, err := ParseRecipient(s, ui)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if err := CheckMix(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrMixedPQ is returned when post-quantum and classic recipients are mixed.
var ErrMixedPQ = errors.New("cannot mix post-quantum (age1pq1…) and classic recipients in one file: the classic ones would undo the post-quantum protection")

// CheckMix returns ErrMixedPQ if rs mixes post-quantum and classic recipients.
func CheckMix(rs []Recipient) error {
	pq, classic := false, false
	for _, r := range rs {
		if r.PostQuantum() {
			pq = true
		} else {
			classic = true
		}
	}
	if pq && classic {
		return ErrMixedPQ
	}
	return nil
}

// Wrap encrypts the data key (or a Shamir share) to one recipient and returns
// the armored age file sops stores in an age entry's enc field.
func Wrap(key []byte, r Recipient) (string, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r.Recipient)
	if err != nil {
		return "", fmt.Errorf("wrapping data key for %s: %w", abbrev(r.String), err)
	}
	if _, err := w.Write(key); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Unwrap decrypts one armored age file with any of ids. It returns an error
// wrapping *age.NoIdentityMatchError when none of ids fits.
func Unwrap(enc string, ids []age.Identity) ([]byte, error) {
	if len(ids) == 0 {
		return nil, &age.NoIdentityMatchError{}
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(enc)), ids...)
	if err != nil {
		return nil, err
	}
	key, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return nil, err
	}
	return key, nil
}
