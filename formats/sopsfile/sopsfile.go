// Package sopsfile holds what sv's non-YAML stores (JSON, dotenv, INI,
// binary) share: the sops metadata as a generic tree (sops's field names,
// order and types), its JSON spelling and its flattened form (dotenv's
// sops_… keys, INI's [sops] section), the data key for a new or existing
// file, the plaintext bytes of each value type, the MAC, and the steps of
// an encrypt (Encryption) and a decrypt that do not depend on the store.
//
// The options, results and metadata types are yamlwalk's, so the command
// layer handles every format alike. Nothing here prints; errors name paths,
// never values.
package sopsfile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Object is an ordered JSON-like object: sops's metadata tree and the
// parsed form of the sops object of a JSON file.
type Object []Member

// Member is one key of an Object. Value is a string, int, bool, nil,
// Object or []any.
type Member struct {
	Key   string
	Value any
}

// Get returns the value of key and whether it is there.
func (o Object) Get(key string) (any, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// MetadataTree returns m as sops's stores serialize it: keys sorted (sops
// sorts the mapstructure map), empty fields left out, key groups with
// age and hc_vault always present.
func MetadataTree(m *yamlwalk.Metadata) (Object, error) {
	if m.LastModified == "" || m.MAC == "" || m.Version == "" {
		return nil, errors.New("incomplete metadata")
	}
	ageList := func(keys []crypt.AgeKey) []any {
		out := make([]any, 0, len(keys))
		for _, k := range keys {
			enc := k.Enc
			if !strings.HasSuffix(enc, "\n") {
				enc += "\n"
			}
			out = append(out, Object{{"enc", enc}, {"recipient", k.Recipient}})
		}
		return out
	}
	r := m.Rules
	var o Object
	add := func(k string, v any) { o = append(o, Member{k, v}) }
	rule := func(k, v string) {
		if v != "" {
			add(k, v)
		}
	}
	if !m.Grouped {
		if len(m.KeyGroups) != 1 {
			return nil, errors.New("metadata without key groups must have exactly one group")
		}
		add("age", ageList(m.KeyGroups[0].Age))
	}
	rule("encrypted_comment_regex", r.EncryptedCommentRegex)
	rule("encrypted_regex", r.EncryptedRegex)
	rule("encrypted_suffix", r.EncryptedSuffix)
	if m.Grouped {
		var groups []any
		for _, g := range m.KeyGroups {
			groups = append(groups, Object{{"age", ageList(g.Age)}, {"hc_vault", []any{}}})
		}
		add("key_groups", groups)
	}
	add("lastmodified", m.LastModified)
	add("mac", m.MAC)
	if r.MACOnlyEncrypted {
		add("mac_only_encrypted", true)
	}
	if m.Grouped && m.ShamirThreshold > 0 {
		add("shamir_threshold", m.ShamirThreshold)
	}
	rule("unencrypted_comment_regex", r.UnencryptedCommentRegex)
	rule("unencrypted_regex", r.UnencryptedRegex)
	rule("unencrypted_suffix", r.UnencryptedSuffix)
	add("version", m.Version)
	return o, nil
}

var otherKeyKinds = map[string]bool{"pgp": true, "kms": true, "gcp_kms": true, "azure_kv": true, "hc_vault": true, "hckms": true}

// ParseMetadata reads a metadata tree (parsed from a JSON sops object or
// unflattened from dotenv or INI keys) with the checks sops makes on
// decrypt. Scalars may be strings where sops's weakly typed decoding
// accepts them (shamir_threshold "2", mac_only_encrypted "true").
func ParseMetadata(o Object) (*yamlwalk.Metadata, error) {
	m := &yamlwalk.Metadata{}
	top := crypt.KeyGroup{}
	seen := map[string]bool{}
	for _, mem := range o {
		k, v := mem.Key, mem.Value
		seen[k] = true
		str := func() (string, error) {
			switch x := v.(type) {
			case string:
				return x, nil
			case nil:
				return "", nil
			}
			return "", metaErr(k + " is not a string")
		}
		var err error
		switch k {
		case "age":
			top.Age, err = parseAgeList(v)
		case "key_groups":
			list, ok := v.([]any)
			if !ok {
				return nil, metaErr("key_groups is not a list")
			}
			m.Grouped = true
			for _, g := range list {
				kg, err := parseKeyGroup(g)
				if err != nil {
					return nil, err
				}
				m.KeyGroups = append(m.KeyGroups, kg)
			}
		case "shamir_threshold":
			switch x := v.(type) {
			case int:
				m.ShamirThreshold = x
			case float64:
				if x != math.Trunc(x) || x < 0 || x > 255 {
					return nil, metaErr("shamir_threshold is not a number")
				}
				m.ShamirThreshold = int(x)
			case string:
				if m.ShamirThreshold, err = strconv.Atoi(x); err != nil {
					return nil, metaErr("shamir_threshold is not a number")
				}
			default:
				return nil, metaErr("shamir_threshold is not a number")
			}
		case "lastmodified":
			m.LastModified, err = str()
		case "mac":
			m.MAC, err = str()
		case "mac_only_encrypted":
			switch x := v.(type) {
			case bool:
				m.Rules.MACOnlyEncrypted = x
			case string:
				b, e := strconv.ParseBool(x)
				if e != nil {
					return nil, metaErr("mac_only_encrypted is not a boolean")
				}
				m.Rules.MACOnlyEncrypted = b
			default:
				return nil, metaErr("mac_only_encrypted is not a boolean")
			}
		case "version":
			m.Version, err = str()
		default:
			if f := m.Rules.TextField(k); f != nil {
				*f, err = str()
			} else if l, ok := v.([]any); ok && otherKeyKinds[k] {
				top.Other += len(l)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !m.Grouped {
		m.KeyGroups = []crypt.KeyGroup{top}
	}
	// The checks every store's metadata gets (yamlwalk's YAML parser adds
	// its limits after them).
	if _, err := m.CheckRead(seen["lastmodified"]); err != nil {
		return nil, err
	}
	if err := m.Rules.Compile(); err != nil {
		return nil, metaErr(err.Error())
	}
	// The same limits as for YAML: a usable threshold, bounded counts,
	// age entries that are age files.
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func metaErr(msg string) error { return &yamlwalk.MetadataError{Msg: msg} }

func parseKeyGroup(g any) (crypt.KeyGroup, error) {
	var kg crypt.KeyGroup
	o, ok := g.(Object)
	if !ok {
		return kg, metaErr("a key group is not a mapping")
	}
	for _, mem := range o {
		if mem.Key == "age" {
			var err error
			if kg.Age, err = parseAgeList(mem.Value); err != nil {
				return kg, err
			}
		} else if l, ok := mem.Value.([]any); ok {
			kg.Other += len(l)
		}
	}
	return kg, nil
}

func parseAgeList(v any) ([]crypt.AgeKey, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, metaErr("age is not a list")
	}
	var out []crypt.AgeKey
	for _, e := range list {
		o, ok := e.(Object)
		if !ok {
			return nil, metaErr("an age entry is not a mapping")
		}
		var ak crypt.AgeKey
		if r, ok := o.Get("recipient"); ok {
			ak.Recipient, _ = r.(string)
		}
		if enc, ok := o.Get("enc"); ok {
			ak.Enc, _ = enc.(string)
		}
		if ak.Enc == "" {
			return nil, metaErr("an age entry has no enc")
		}
		out = append(out, ak)
	}
	return out, nil
}

// DataKey returns the data key and the rules for an encrypt: the existing
// file's (meta non-nil, opened with opt.Keys) or a fresh key with
// opt.Rules for a new file.
func DataKey(meta *yamlwalk.Metadata, opt *yamlwalk.EncryptOptions) ([]byte, yamlwalk.Rules, error) {
	if meta != nil {
		if opt.Keys == nil {
			return nil, yamlwalk.Rules{}, errors.New("file is already encrypted and no key source was given to add values to it")
		}
		key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
		return key, meta.Rules, err
	}
	rules := opt.Rules
	if err := rules.Compile(); err != nil {
		return nil, rules, err
	}
	if len(opt.KeyGroups) == 0 {
		return nil, rules, errors.New("no recipients to encrypt to")
	}
	key, err := crypt.NewDataKey()
	return key, rules, err
}

// NewMetadata wraps key for opt's recipients and returns a new file's
// metadata with the given MAC (encrypted) and lastmodified.
func NewMetadata(key []byte, opt *yamlwalk.EncryptOptions, rules yamlwalk.Rules, lastMod, mac string) (*yamlwalk.Metadata, error) {
	groups, err := crypt.WrapKeyGroups(key, opt.KeyGroups, opt.ShamirThreshold)
	if err != nil {
		return nil, err
	}
	m := &yamlwalk.Metadata{KeyGroups: groups, Grouped: len(groups) > 1, ShamirThreshold: opt.ShamirThreshold,
		LastModified: lastMod, MAC: mac, Rules: rules, Version: yamlwalk.FormatVersion}
	if m.Grouped && m.ShamirThreshold == 0 {
		m.ShamirThreshold = len(m.KeyGroups)
	}
	return m, nil
}

// SealMAC encrypts a MAC digest for a file written at now and returns the
// lastmodified string and the encrypted MAC.
func SealMAC(c *crypt.Cipher, digest string, now time.Time) (lastMod, mac string, err error) {
	if now.IsZero() {
		now = time.Now()
	}
	lastMod = crypt.LastModified(now)
	aad, _ := crypt.MACAAD(lastMod)
	mac, err = c.Encrypt([]byte(digest), crypt.TypeStr, aad, nil)
	return lastMod, mac, err
}

// CheckMAC compares digest with the file's stored MAC.
func CheckMAC(c *crypt.Cipher, meta *yamlwalk.Metadata, digest string) error {
	if meta.MAC == "" {
		return &yamlwalk.MACError{Missing: true}
	}
	aad, err := crypt.MACAAD(meta.LastModified)
	if err != nil {
		return metaErr("lastmodified is not an RFC 3339 time")
	}
	stored, _, err := c.Decrypt(meta.MAC, aad)
	if err != nil || string(stored) != digest {
		return &yamlwalk.MACError{}
	}
	return nil
}

// BoolText is the plaintext sops encrypts for a boolean.
func BoolText(b bool) []byte {
	if b {
		return []byte("True")
	}
	return []byte("False")
}

// Canonical returns the bytes sops feeds to the MAC for a decrypted value
// of type typ: a float's or int's canonical spelling (sv keeps a number's
// own spelling inside the ciphertext), True/False for a bool.
func Canonical(typ string, pt []byte) ([]byte, error) {
	switch typ {
	case crypt.TypeInt:
		i, err := strconv.Atoi(string(pt))
		if err != nil {
			return nil, errors.New("an int value does not decode as an integer")
		}
		return []byte(strconv.Itoa(i)), nil
	case crypt.TypeFloat:
		f, err := strconv.ParseFloat(string(pt), 64)
		if err != nil {
			return nil, errors.New("a float value does not decode as a number")
		}
		return []byte(strconv.FormatFloat(f, 'f', -1, 64)), nil
	case crypt.TypeBool:
		b, err := strconv.ParseBool(string(pt))
		if err != nil {
			return nil, errors.New("a bool value does not decode as a boolean")
		}
		return BoolText(b), nil
	}
	return pt, nil
}

// ValueError names the path of a value that failed, never the value.
func ValueError(path string, line int, err error) error {
	return &yamlwalk.ValueError{Path: path, Line: line, Err: err}
}

// Unfaithful wraps a failed self-check of an encrypt's output.
func Unfaithful(err error) error { return &yamlwalk.ErrUnfaithful{Err: err} }

// PathString joins keys and indexes the way sv names values: a.b[0].c.
type PathString []string

// Key appends a mapping key.
func (p PathString) Key(k string) PathString {
	return append(p[:len(p):len(p)], k)
}

// Index appends a list index.
func (p PathString) Index(i int) PathString {
	return append(p[:len(p):len(p)], "["+strconv.Itoa(i)+"]")
}

func (p PathString) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	if b.Len() == 0 {
		return "(top level)"
	}
	return b.String()
}

// ReservedKeyError is a plaintext key sops reserves for its metadata.
func ReservedKeyError(key string) error {
	return fmt.Errorf("the key %q is reserved for sops metadata", key)
}

// Reuse is what a rewrite of an encrypted file keeps (sv edit, sv set):
// its data key, its metadata (key groups, rules) and its ciphertexts, so
// that unchanged values keep their exact ENC text, as sops's IV stash does.
type Reuse struct {
	Key  []byte
	Meta *yamlwalk.Metadata
	enc  map[string]string
}

// NewReuse starts the Reuse of the encrypted file whose data key is key
// and metadata meta, with the cipher that decrypts its values for
// Remember.
func NewReuse(key []byte, meta *yamlwalk.Metadata) (*Reuse, *crypt.Cipher, error) {
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	return &Reuse{Key: key, Meta: meta}, c, nil
}

func stashKey(aad, kind string, pt []byte) string {
	return aad + "\x00" + kind + "\x00" + string(pt)
}

// Remember records that enc holds the plaintext pt (exactly as encrypted)
// at aad; kind is the type plus whatever else decides how the value is
// written (a JSON string's escapes).
func (r *Reuse) Remember(aad, kind string, pt []byte, enc string) {
	if r.enc == nil {
		r.enc = map[string]string{}
	}
	k := stashKey(aad, kind, pt)
	if _, ok := r.enc[k]; !ok {
		r.enc[k] = enc
	}
}

// Lookup returns the ciphertext of an unchanged value, or "".
func (r *Reuse) Lookup(aad, kind string, pt []byte) string {
	if r == nil {
		return ""
	}
	return r.enc[stashKey(aad, kind, pt)]
}

// Metadata is the kept metadata with a new MAC and lastmodified.
func (r *Reuse) Metadata(lastMod, mac string) *yamlwalk.Metadata {
	m := *r.Meta
	m.LastModified, m.MAC, m.Version = lastMod, mac, yamlwalk.FormatVersion
	return &m
}
