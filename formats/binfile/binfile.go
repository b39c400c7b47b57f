// Package binfile encrypts and decrypts any file as sops's binary store
// does: the whole file is one string value under the key "data" of a JSON
// document in sops's JSON layout (tab-indented), followed by the sops
// object. Decryption gives the exact bytes back.
//
// As in sops, selection rules do not apply: the one value is always
// encrypted. The package never prints.
package binfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

const dataKey = "data"

// Encrypt wraps b in sops's binary envelope. An input that is already an
// encrypted binary envelope is refused: decrypt it first.
func Encrypt(b []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return encrypt(b, opt, nil)
}

// Reencrypt encrypts plain, the edited contents of the encrypted binary
// file src whose data key is key, under the same key and metadata; an
// unchanged file keeps its ciphertext.
func Reencrypt(src, plain, key []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	data, meta, err := load(src)
	if err != nil {
		return nil, err
	}
	r := &sopsfile.Reuse{Key: key, Meta: meta}
	if c, err := crypt.NewCipher(key); err == nil && crypt.IsENC(data) {
		if pt, typ, err := c.Decrypt(data, crypt.AAD([]string{dataKey})); err == nil {
			r.Remember(crypt.AAD([]string{dataKey}), typ, pt, data)
		}
	}
	return encrypt(plain, opt, r)
}

func encrypt(b []byte, opt yamlwalk.EncryptOptions, reuse *sopsfile.Reuse) (*yamlwalk.Result, error) {
	// As sops does: the one value is always encrypted, selection rules and
	// mac_only_encrypted are ignored and none is written.
	var warnings []string
	if reuse == nil && (opt.Rules != (yamlwalk.Rules{UnencryptedSuffix: opt.Rules.UnencryptedSuffix}) || opt.Rules.UnencryptedSuffix != "" && opt.Rules.UnencryptedSuffix != yamlwalk.DefaultUnencryptedSuffix) {
		warnings = append(warnings, "selection rules and mac_only_encrypted do not apply to a binary file (its one value is always encrypted); ignored, as sops does")
	}
	opt.Rules = yamlwalk.Rules{}
	var key []byte
	var err error
	if reuse != nil {
		key = reuse.Key
	} else if key, _, err = sopsfile.DataKey(nil, &opt); err != nil {
		return nil, err
	}
	rules := yamlwalk.Rules{}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	mac := crypt.NewMAC(rules.MACOnlyEncrypted)
	mac.Add(b)
	enc := ""
	if len(b) > 0 {
		if enc, err = reuse.EncryptValue(c, crypt.AAD([]string{dataKey}), crypt.TypeStr, crypt.TypeStr, b); err != nil {
			return nil, err
		}
	}
	lastMod, macEnc, err := sopsfile.SealMAC(c, mac.Sum(), opt.Now)
	if err != nil {
		return nil, err
	}
	var m *yamlwalk.Metadata
	if reuse != nil {
		m = reuse.Metadata(lastMod, macEnc)
		m.Rules = rules
	} else if m, err = sopsfile.NewMetadata(key, &opt, rules, lastMod, macEnc); err != nil {
		return nil, err
	}
	tree, err := sopsfile.MetadataTree(m)
	if err != nil {
		return nil, err
	}
	doc := sopsfile.Object{{Key: dataKey, Value: enc}, {Key: "sops", Value: tree}}
	out, err := Render(doc)
	if err != nil {
		return nil, err
	}
	d, err := decrypt(out, key, false)
	if err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if !bytes.Equal(d.Text, b) {
		return nil, sopsfile.Unfaithful(errors.New("the output does not decrypt to the input"))
	}
	n := 0
	if len(b) > 0 {
		n = 1
	}
	return &yamlwalk.Result{Out: out, Changed: true, Encrypted: n, Warnings: warnings}, nil
}

// Render writes a tree as sops's JSON store does: json.Indent with a tab,
// ": " after keys, a final line break.
func Render(o sopsfile.Object) ([]byte, error) {
	var sb strings.Builder
	sopsfile.WriteJSON(&sb, o, sopsfile.SopsJSON, 1)
	sb.WriteByte('\n')
	return []byte(sb.String()), nil
}

// IsEncrypted reports cheaply whether b looks like a sops binary (or
// JSON) file.
func IsEncrypted(b []byte) bool {
	return bytes.Contains(b, []byte(`"sops"`)) && bytes.Contains(b, []byte(`"mac"`)) && bytes.Contains(b, []byte(`"lastmodified"`))
}

// Decrypt opens sops's binary envelope and returns the file's bytes.
func Decrypt(b []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	_, meta, err := load(b)
	if err != nil {
		return nil, err
	}
	key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		return nil, err
	}
	return decrypt(b, key, opt.IgnoreMAC)
}

func load(b []byte) (string, *yamlwalk.Metadata, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return "", nil, errors.New("not a sops binary file (not a JSON object)")
	}
	s, ok := doc["sops"].(map[string]any)
	if !ok {
		return "", nil, yamlwalk.ErrNotEncrypted
	}
	data, ok := doc[dataKey].(string)
	if !ok || len(doc) != 2 {
		return "", nil, errors.New("not a sops binary file (it must hold exactly the keys data and sops)")
	}
	meta, err := sopsfile.ParseMetadata(toObject(s).(sopsfile.Object))
	return data, meta, err
}

// toObject converts decoded JSON into sopsfile's tree (keys sorted, as
// sops orders them).
func toObject(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := sopsfile.Object{}
		for _, k := range keys {
			o = append(o, sopsfile.Member{Key: k, Value: toObject(x[k])})
		}
		return o
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = toObject(e)
		}
		return l
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func decrypt(b, key []byte, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	data, meta, err := load(b)
	if err != nil {
		return nil, err
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var pt []byte
	encrypted := false
	switch {
	case crypt.IsENC(data):
		p, typ, err := c.Decrypt(data, crypt.AAD([]string{dataKey}))
		if err != nil {
			return nil, sopsfile.ValueError(dataKey, 0, err)
		}
		if typ != crypt.TypeStr && typ != crypt.TypeBytes {
			return nil, sopsfile.ValueError(dataKey, 0, errors.New("the data is not a string"))
		}
		pt, encrypted = p, true
	case data == "":
	default:
		if meta.Rules.ShouldEncrypt([]string{dataKey}, nil) {
			return nil, sopsfile.ValueError(dataKey, 0, yamlwalk.ErrNotPlain)
		}
		pt = []byte(data)
	}
	if !ignoreMAC {
		mac := sopsfile.NewMAC(meta.Rules.MACOnlyEncrypted)
		mac.Add(pt, encrypted)
		if err := sopsfile.CheckMAC(c, meta, mac.Sum()); err != nil {
			return nil, err
		}
	}
	if pt == nil {
		pt = []byte{}
	}
	return &yamlwalk.Decrypted{Text: pt, Metadata: meta, Key: key}, nil
}

// Inspect describes the one value of a binary file.
func Inspect(b []byte) (*yamlwalk.Info, error) {
	data, meta, err := load(b)
	if err != nil {
		return nil, err
	}
	li := yamlwalk.LeafInfo{Path: dataKey, Keys: []string{dataKey}, Empty: data == "", ShouldEncrypt: true}
	if crypt.IsENC(data) {
		li.Encrypted, li.Ciphertext = true, data
	}
	return &yamlwalk.Info{Metadata: meta, Leaves: []yamlwalk.LeafInfo{li}}, nil
}

// ReplaceMetadata writes the file again with m as its sops object.
func ReplaceMetadata(b []byte, m *yamlwalk.Metadata) ([]byte, error) {
	data, _, err := load(b)
	if err != nil {
		return nil, err
	}
	tree, err := sopsfile.MetadataTree(m)
	if err != nil {
		return nil, err
	}
	return Render(sopsfile.Object{{Key: dataKey, Value: data}, {Key: "sops", Value: tree}})
}

// Tree is a binary file's contents for conversion to another format, as
// sops converts it: a mapping whose one key "data" holds the contents,
// which must be UTF-8 text (no other format can hold other bytes).
func Tree(content []byte) (any, error) {
	if !utf8.Valid(content) {
		return nil, &sopsfile.ConvertError{Path: dataKey, Msg: "the file is not UTF-8 text: only binary output can hold it"}
	}
	return sopsfile.Object{{Key: dataKey, Value: string(content)}}, nil
}

// FromTree is the contents of a binary file converted from another
// format: the string value of its top-level "data" key, as sops writes
// it. Other keys would be lost, so they are an error (sops drops them).
func FromTree(v any) ([]byte, error) {
	o, _ := v.(sopsfile.Object)
	var data any
	found := false
	for _, m := range o {
		if m.Key != dataKey {
			return nil, &sopsfile.ConvertError{Path: sopsfile.PathString{m.Key}.String(), Msg: `binary output holds only the top-level "data" value; this one would be lost`}
		}
		data, found = m.Value, true
	}
	s, ok := data.(string)
	if !found || !ok {
		return nil, &sopsfile.ConvertError{Path: dataKey, Msg: `binary output is the string value of a top-level "data" key, and there is none`}
	}
	return []byte(s), nil
}

// Values is a binary file's contents as one value for a value-level
// merge: the merge is clean when only one side changed the file (or both
// alike), a conflict otherwise.
func Values(content []byte) (*sopsfile.Doc, error) {
	return &sopsfile.Doc{Text: content, Values: []sopsfile.Value{{Path: dataKey, Start: 0, End: len(content)}}}, nil
}

// ErrPath is a path that is not a binary file's one value.
var ErrPath = errors.New(`a binary file has one value, its contents: the path is ["data"] (or data)`)

// SetValue is sv set on a binary file: path must be data (the only value,
// as in sops); the new contents are value.
func SetValue(path []string, value string) ([]byte, error) {
	if len(path) != 1 || path[0] != dataKey {
		return nil, ErrPath
	}
	return []byte(value), nil
}
