package crypt

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// AgeKey is one entry of a sops age list: the recipient and the armored age
// file holding the data key (or a Shamir share) for it.
type AgeKey struct {
	Recipient string
	Enc       string
}

// KeyGroup is one sops key group. sv reads and writes age keys; Other counts
// keys of other kinds (pgp, kms, …) that sv cannot use but keeps.
type KeyGroup struct {
	Age   []AgeKey
	Other int
}

// NoKeyError says no identity could open a file's data key.
type NoKeyError struct {
	Recipients []string // recipients the file is encrypted to
	Places     []string // where identities were looked for
	Err        error    // last unwrap error other than "no identity matched"
}

func (e *NoKeyError) Error() string {
	var rs []string
	for _, r := range e.Recipients {
		rs = append(rs, abbrev(r))
	}
	msg := "no identity matches the file's recipients"
	if len(rs) > 0 {
		msg += " (" + strings.Join(rs, ", ") + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// WrapKeyGroups wraps key for every recipient of groups. With one group the
// whole key is wrapped; with several, the key is split with Shamir and group
// i's keys wrap share i (threshold 0 means all groups).
func WrapKeyGroups(key []byte, groups [][]Recipient, threshold int) ([]KeyGroup, error) {
	if len(groups) == 0 {
		return nil, errors.New("no recipients")
	}
	secrets := [][]byte{key}
	if len(groups) > 1 {
		if threshold == 0 {
			threshold = len(groups)
		}
		var err error
		if secrets, err = SplitKey(key, len(groups), threshold); err != nil {
			return nil, err
		}
	}
	out := make([]KeyGroup, len(groups))
	for i, g := range groups {
		if len(g) == 0 {
			return nil, fmt.Errorf("key group %d has no recipients", i+1)
		}
		s := secrets[0]
		if len(groups) > 1 {
			s = secrets[i]
		}
		for _, r := range g {
			enc, err := Wrap(s, r)
			if err != nil {
				return nil, err
			}
			out[i].Age = append(out[i].Age, AgeKey{Recipient: r.String, Enc: enc})
		}
	}
	return out, nil
}

// DataKey recovers the data key from key groups: one opened key per group,
// and with several groups at least threshold of them (0 means all).
func (k *Keyring) DataKey(groups []KeyGroup, threshold int) ([]byte, error) {
	var (
		shares  [][]byte
		lastErr error
		all     []string
	)
	for _, g := range groups {
		var got []byte
		for _, ak := range g.Age {
			all = append(all, ak.Recipient)
			if got != nil {
				continue
			}
			ids, err := k.Identities(ak.Recipient)
			if err != nil {
				return nil, err
			}
			key, err := Unwrap(ak.Enc, ids)
			if err != nil {
				var nm *age.NoIdentityMatchError
				if !errors.As(err, &nm) {
					lastErr = err
				}
				continue
			}
			got = key
		}
		if got != nil {
			shares = append(shares, got)
		}
	}
	if len(groups) <= 1 {
		if len(shares) == 1 {
			if len(shares[0]) != KeySize {
				return nil, fmt.Errorf("data key has %d bytes, want %d", len(shares[0]), KeySize)
			}
			return shares[0], nil
		}
		return nil, &NoKeyError{Recipients: all, Places: k.places, Err: lastErr}
	}
	if threshold == 0 {
		threshold = len(groups)
	}
	if len(shares) < threshold {
		return nil, &NoKeyError{Recipients: all, Places: k.places, Err: fmt.Errorf("opened %d of the %d key groups needed", len(shares), threshold)}
	}
	key, err := CombineKey(shares[:threshold])
	if err != nil {
		return nil, fmt.Errorf("combining key shares: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("data key has %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}
