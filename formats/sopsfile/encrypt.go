package sopsfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// What an encrypt and a decrypt of a JSON, dotenv or INI file share: the
// stores differ in how they read and write a file, not in the steps from
// the metadata to the values and back.

// ErrStrayENC is a value that looks encrypted in a file without sops
// metadata.
var ErrStrayENC = errors.New("value looks encrypted but the file has no sops metadata")

// RulesOf returns the rules a file's values are selected by: its own when
// it has metadata, else rules, compiled.
func RulesOf(meta *yamlwalk.Metadata, rules yamlwalk.Rules) (yamlwalk.Rules, error) {
	if meta != nil {
		return meta.Rules, nil
	}
	err := rules.Compile()
	return rules, err
}

// MAC feeds a file's values to its MAC as sops does: with
// mac_only_encrypted, values in plaintext are left out.
type MAC struct {
	mac  *crypt.MAC
	only bool
}

// NewMAC starts a MAC for a file whose mac_only_encrypted is only.
func NewMAC(only bool) *MAC { return &MAC{crypt.NewMAC(only), only} }

// Add feeds a value's canonical bytes; encrypted says whether the value is
// (or is being) encrypted.
func (m *MAC) Add(canon []byte, encrypted bool) {
	if m.only && !encrypted {
		return
	}
	m.mac.Add(canon)
}

// Sum is the digest, as sops stores it.
func (m *MAC) Sum() string { return m.mac.Sum() }

// DecryptValue decrypts an ENC string at aad and returns its plaintext, its
// type and the canonical bytes the MAC covers.
func DecryptValue(c *crypt.Cipher, enc, aad string) (pt []byte, typ string, canon []byte, err error) {
	if pt, typ, err = c.Decrypt(enc, aad); err != nil {
		return nil, "", nil, err
	}
	canon, err = Canonical(typ, pt)
	return pt, typ, canon, err
}

// StringText is how a store that holds only strings (dotenv, INI) spells a
// decrypted value of type typ: a string as it is, another type (a file
// converted from YAML or JSON) in its canonical spelling, lower-case for a
// boolean, as sops spells it.
func StringText(typ string, canon []byte) string {
	if typ == crypt.TypeBool {
		return strings.ToLower(string(canon))
	}
	return string(canon)
}

// Plain is one value as an encrypt's self-check compares it: its path, its
// type (where the store keeps one) and its canonical plaintext.
type Plain struct{ Path, Type, Canon string }

// SameValues checks that an encrypt's output decrypts to the values that
// went in (want), in the same order; the error names a path, never a
// value.
func SameValues(want, got []Plain) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d values went in, %d came out", len(want), len(got))
	}
	for i := range want {
		if want[i] != got[i] {
			return fmt.Errorf("%s: the value does not decrypt to what went in", want[i].Path)
		}
	}
	return nil
}

// EncryptValue returns the ciphertext of pt (of type typ, at aad): the kept
// one of an unchanged value of a rewrite (see Lookup for kind), else a new
// one. r may be nil.
func (r *Reuse) EncryptValue(c *crypt.Cipher, aad, kind, typ string, pt []byte) (string, error) {
	if enc := r.Lookup(aad, kind, pt); enc != "" {
		return enc, nil
	}
	return c.Encrypt(pt, typ, aad, nil)
}

// Encryption is one encrypt of a file: its data key and rules (the
// existing file's, the kept ones of a rewrite, or new ones), the cipher,
// and the two MACs sops computes: over the file as it was read (checked
// against an existing file's MAC) and as it is written.
type Encryption struct {
	Key    []byte
	Rules  yamlwalk.Rules
	Cipher *crypt.Cipher
	Reuse  *Reuse // nil unless a rewrite

	meta          *yamlwalk.Metadata
	opt           *yamlwalk.EncryptOptions
	read, written *MAC
}

// BeginEncrypt starts an encrypt of a file whose metadata is meta (nil for
// a file without). For a rewrite (reuse non-nil) the text may not have
// metadata of its own (own names it, e.g. "a sops key") and the kept key
// and rules are used; otherwise those DataKey gives.
func BeginEncrypt(meta *yamlwalk.Metadata, opt *yamlwalk.EncryptOptions, reuse *Reuse, own string) (*Encryption, error) {
	e := &Encryption{Reuse: reuse, meta: meta, opt: opt}
	var err error
	if reuse != nil {
		if meta != nil {
			return nil, errors.New("the edited text has " + own + " of its own")
		}
		e.Key, e.Rules = reuse.Key, reuse.Meta.Rules
	} else if e.Key, e.Rules, err = DataKey(meta, opt); err != nil {
		return nil, err
	}
	if e.Cipher, err = crypt.NewCipher(e.Key); err != nil {
		return nil, err
	}
	e.read, e.written = NewMAC(e.Rules.MACOnlyEncrypted), NewMAC(e.Rules.MACOnlyEncrypted)
	return e, nil
}

// Kept feeds a value that stays as it was read (in plaintext, or
// encrypted already) to both MACs.
func (e *Encryption) Kept(canon []byte, encrypted bool) {
	e.read.Add(canon, encrypted)
	e.written.Add(canon, encrypted)
}

// Added feeds a value this encrypt encrypts to the new MAC.
func (e *Encryption) Added(canon []byte) { e.written.Add(canon, true) }

// Encrypt returns the ciphertext of a value this encrypt encrypts (see
// Reuse.EncryptValue).
func (e *Encryption) Encrypt(aad, kind, typ string, pt []byte) (string, error) {
	return e.Reuse.EncryptValue(e.Cipher, aad, kind, typ, pt)
}

// Seal ends an encrypt that encrypted n values. For an existing file it
// checks the file's MAC (unless IgnoreMAC) and reports unchanged when n is
// 0: the file is to be written back as it is. Otherwise it returns the
// metadata to write with the new MAC and lastmodified: the existing file's
// (its other fields as they are), the kept one of a rewrite, or a new
// file's.
func (e *Encryption) Seal(n int) (m *yamlwalk.Metadata, unchanged bool, err error) {
	if e.meta != nil {
		if !e.opt.IgnoreMAC {
			if err := CheckMAC(e.Cipher, e.meta, e.read.Sum()); err != nil {
				return nil, false, err
			}
		}
		if n == 0 {
			return nil, true, nil
		}
	}
	lastMod, mac, err := SealMAC(e.Cipher, e.written.Sum(), e.opt.Now)
	if err != nil {
		return nil, false, err
	}
	switch {
	case e.meta != nil:
		kept := *e.meta
		kept.LastModified, kept.MAC = lastMod, mac
		return &kept, false, nil
	case e.Reuse != nil:
		return e.Reuse.Metadata(lastMod, mac), false, nil
	}
	m, err = NewMetadata(e.Key, e.opt, e.Rules, lastMod, mac)
	return m, false, err
}
