// Package inifile encrypts and decrypts INI files as sops's INI store does,
// with the same INI library (gopkg.in/ini.v1) and options, so sv's output
// is what sops writes: every value a string, the path of a value its
// section and key, comments attached to the key after them, the metadata
// in a [sops] section of flattened keys.
//
// INI is not text-preserving (neither in sops): the library rewrites the
// file (aligned "=", one blank line between sections, comments moved to
// the key they belong to, quotes and inline comments read its way).
// Result.Warnings says when decryption will not give the input's text
// back. sv keeps comments in plaintext unless EncryptComments is set (sops
// encrypts them; sv decrypts those).
//
// The package never prints; errors name sections and keys, never values.
package inifile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"gopkg.in/ini.v1"
)

// item is a key or a comment of a section, as sops's tree holds them.
type item struct {
	comment bool
	key     string
	value   string
}

type section struct {
	name  string
	items []item
}

func stripCommentChar(c string) string {
	if strings.HasPrefix(c, ";") {
		return strings.TrimLeft(c, "; ")
	} else if strings.HasPrefix(c, "#") {
		return strings.TrimLeft(c, "# ")
	}
	return c
}

// load reads b as sops's INI store does.
func load(b []byte) (secs []section, err error) {
	defer func() {
		if recover() != nil {
			secs, err = nil, errLibrary
		}
	}()
	f, err := ini.LoadSources(ini.LoadOptions{AllowNonUniqueSections: true}, b)
	if err != nil {
		// The library's messages quote the offending line, which may hold
		// a secret: say what kind of problem it is, never the text.
		what := "a line the INI library cannot read"
		switch msg := err.Error(); {
		case ini.IsErrDelimiterNotFound(err):
			what = `a line that is neither "key = value", a section nor a comment`
		case strings.Contains(msg, "unclosed section"):
			what = "an unclosed [section"
		case strings.Contains(msg, "quote"):
			what = "an unclosed quote in a key"
		}
		return nil, fmt.Errorf("invalid INI: %s", what)
	}
	var out []section
	for _, s := range f.Sections() {
		sec := section{name: s.Name()}
		if s.Comment != "" {
			sec.items = append(sec.items, item{comment: true, value: stripCommentChar(s.Comment)})
		}
		for _, k := range s.Keys() {
			sec.items = append(sec.items, item{key: k.Name(), value: k.Value()})
			if k.Comment != "" {
				sec.items = append(sec.items, item{comment: true, value: stripCommentChar(k.Comment)})
			}
		}
		out = append(out, sec)
	}
	return out, nil
}

// errLibrary is a panic of the INI library on odd input (sops panics
// there too), turned into an error.
var errLibrary = errors.New("the INI library cannot handle this file (it fails on it, as sops does)")

// emit writes sections as sops's INI store does.
func emit(secs []section) (out []byte, err error) {
	defer func() {
		if recover() != nil {
			out, err = nil, errLibrary
		}
	}()
	f := ini.Empty(ini.LoadOptions{AllowNonUniqueSections: true})
	f.DeleteSection(ini.DefaultSection)
	for _, s := range secs {
		sec, err := f.NewSection(s.name)
		if err != nil {
			return nil, fmt.Errorf("section %s: %v", s.name, err)
		}
		first := 0
		if len(s.items) > 0 && s.items[0].comment {
			sec.Comment = s.items[0].value
			first = 1
		}
		var last *ini.Key
		for _, it := range s.items[first:] {
			if it.comment {
				if last != nil {
					last.Comment = it.value
				}
				continue
			}
			if last, err = sec.NewKey(it.key, it.value); err != nil {
				return nil, fmt.Errorf("section %s: %v", s.name, err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// IsEncrypted reports cheaply whether b looks like a sops INI file.
func IsEncrypted(b []byte) bool {
	return bytes.Contains(b, []byte("[sops]")) && bytes.Contains(b, []byte("lastmodified"))
}

// metadataOf takes the sops section out of secs.
func metadataOf(secs []section) ([]section, *yamlwalk.Metadata, error) {
	var kvs []sopsfile.KV
	found := false
	var rest []section
	for _, s := range secs {
		if s.name != "sops" {
			rest = append(rest, s)
			continue
		}
		if found {
			return nil, nil, &yamlwalk.MetadataError{Msg: "the sops section appears twice"}
		}
		found = true
		for _, it := range s.items {
			if !it.comment {
				kvs = append(kvs, sopsfile.KV{Key: it.key, Value: it.value})
			}
		}
	}
	if !found {
		return secs, nil, nil
	}
	m, err := sopsfile.ParseFlat(kvs)
	return rest, m, err
}

// read reads a file: its sections but the sops one, and its metadata (nil
// if it has none).
func read(b []byte) ([]section, *yamlwalk.Metadata, error) {
	all, err := load(b)
	if err != nil {
		return nil, nil, err
	}
	return metadataOf(all)
}

// openEncrypted is read for a file that must be encrypted.
func openEncrypted(b []byte) ([]section, *yamlwalk.Metadata, error) {
	secs, meta, err := read(b)
	if err == nil && meta == nil {
		err = yamlwalk.ErrNotEncrypted
	}
	return secs, meta, err
}

// sopsSection is m as sops's INI store writes it.
func sopsSection(m *yamlwalk.Metadata) (section, error) {
	kvs, err := sopsfile.FlatMetadata(m, "")
	if err != nil {
		return section{}, err
	}
	ms := section{name: "sops"}
	for _, kv := range kvs {
		ms.items = append(ms.items, item{key: kv.Key, value: kv.Value})
	}
	return ms, nil
}

func path(sec, key string) string { return "[" + sec + "]." + key }

// Encrypt encrypts every value the rules select and writes the file in
// sops's INI layout. A file that is already encrypted keeps its ciphertexts
// and gets its plaintext values encrypted under its data key.
func Encrypt(b []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return encrypt(b, opt, nil)
}

// Reencrypt encrypts plain, the edited plaintext of the encrypted file src
// whose data key is key, under the same key and metadata; values and
// comments that did not change keep their ciphertext.
func Reencrypt(src, plain, key []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	secs, meta, err := openEncrypted(src)
	if err != nil {
		return nil, err
	}
	r, c, err := sopsfile.NewReuse(key, meta)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		for _, it := range s.items {
			if !crypt.IsENC(it.value) {
				continue
			}
			aad := crypt.AAD([]string{s.name, it.key})
			if it.comment {
				aad = crypt.AAD([]string{s.name})
				opt.EncryptComments = true
			}
			if pt, typ, err := c.Decrypt(it.value, aad); err == nil {
				r.Remember(aad, typ, pt, it.value)
			}
		}
	}
	return encrypt(plain, opt, r)
}

func encrypt(b []byte, opt yamlwalk.EncryptOptions, reuse *sopsfile.Reuse) (*yamlwalk.Result, error) {
	secs, meta, err := read(b)
	if err != nil {
		return nil, err
	}
	en, err := sopsfile.BeginEncrypt(meta, &opt, reuse, "a sops section")
	if err != nil {
		return nil, err
	}
	rules := en.Rules
	res := &yamlwalk.Result{}
	encryptComments := opt.EncryptComments
	for _, s := range secs {
		for _, it := range s.items {
			if it.comment && crypt.IsENC(it.value) {
				encryptComments = true
			}
		}
	}
	for si := range secs {
		s := &secs[si]
		var stack []string
		for ii := range s.items {
			it := &s.items[ii]
			if it.comment {
				stack = append(stack, it.value)
				if encryptComments && !crypt.IsENC(it.value) && it.value != "" && rules.ShouldEncrypt([]string{s.name}, stack[:len(stack)-1]) {
					enc, err := en.Encrypt(crypt.AAD([]string{s.name}), crypt.TypeComment, crypt.TypeComment, []byte(it.value))
					if err != nil {
						return nil, err
					}
					it.value = enc
					res.Encrypted++
				}
				continue
			}
			keys := []string{s.name, it.key}
			comments := stack
			stack = nil
			should := rules.ShouldEncrypt(keys, comments)
			aad := crypt.AAD(keys)
			if should && crypt.IsENC(it.value) {
				if meta == nil {
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, sopsfile.ErrStrayENC)
				}
				_, _, canon, err := sopsfile.DecryptValue(en.Cipher, it.value, aad)
				if err != nil {
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
				}
				en.Kept(canon, true)
				continue
			}
			if !should || it.value == "" {
				en.Kept([]byte(it.value), false)
				continue
			}
			enc, err := en.Encrypt(aad, crypt.TypeStr, crypt.TypeStr, []byte(it.value))
			if err != nil {
				return nil, err
			}
			en.Added([]byte(it.value))
			it.value = enc
			res.Encrypted++
		}
	}
	m, unchanged, err := en.Seal(res.Encrypted)
	if err != nil {
		return nil, err
	}
	if unchanged {
		res.Out = b
		return res, nil
	}
	ms, err := sopsSection(m)
	if err != nil {
		return nil, err
	}
	if res.Out, err = emit(append(secs, ms)); err != nil {
		return nil, err
	}
	res.Changed = true
	d, err := decrypt(res.Out, en.Key, false)
	if err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if !bytes.Equal(d.Text, b) && !IsEncrypted(b) {
		res.Warnings = append(res.Warnings, "INI files are rewritten in sops's INI layout: decryption will not give back the input's exact text (spacing, comments, quotes)")
	}
	return res, nil
}

// Decrypt opens an encrypted INI file and writes it in sops's INI layout.
func Decrypt(b []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	_, meta, err := openEncrypted(b)
	if err != nil {
		return nil, err
	}
	key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		return nil, err
	}
	return decrypt(b, key, opt.IgnoreMAC)
}

func decrypt(b, key []byte, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	secs, meta, err := openEncrypted(b)
	if err != nil {
		return nil, err
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := &yamlwalk.Decrypted{Metadata: meta, Key: key}
	mac := sopsfile.NewMAC(meta.Rules.MACOnlyEncrypted)
	for si := range secs {
		s := &secs[si]
		var stack []string
		for ii := range s.items {
			it := &s.items[ii]
			if it.comment {
				if crypt.IsENC(it.value) {
					pt, typ, err := c.Decrypt(it.value, crypt.AAD([]string{s.name}))
					if err != nil || typ != crypt.TypeComment {
						out.Warnings = append(out.Warnings, fmt.Sprintf("section %s: an encrypted comment does not decrypt; kept as it is", s.name))
					} else {
						it.value = string(pt)
					}
				}
				stack = append(stack, it.value)
				continue
			}
			keys := []string{s.name, it.key}
			comments := stack
			stack = nil
			should := meta.Rules.ShouldEncrypt(keys, comments)
			if !should || !crypt.IsENC(it.value) {
				if should && it.value != "" {
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, yamlwalk.ErrNotPlain)
				}
				mac.Add([]byte(it.value), false)
				continue
			}
			_, typ, canon, err := sopsfile.DecryptValue(c, it.value, crypt.AAD(keys))
			if err != nil {
				return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
			}
			mac.Add(canon, true)
			it.value = sopsfile.StringText(typ, canon)
		}
	}
	if !ignoreMAC {
		if err := sopsfile.CheckMAC(c, meta, mac.Sum()); err != nil {
			return nil, err
		}
	}
	if out.Text, err = emit(secs); err != nil {
		return nil, err
	}
	return out, nil
}

// Inspect lists a file's values and whether each is encrypted, with the
// file's own rules, or rules for a file without metadata.
func Inspect(b []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	secs, meta, err := read(b)
	if err != nil {
		return nil, err
	}
	if rules, err = sopsfile.RulesOf(meta, rules); err != nil {
		return nil, err
	}
	info := &yamlwalk.Info{Metadata: meta}
	for _, s := range secs {
		var stack []string
		for _, it := range s.items {
			if it.comment {
				stack = append(stack, it.value)
				continue
			}
			keys := []string{s.name, it.key}
			li := yamlwalk.LeafInfo{Path: path(s.name, it.key), Keys: keys, Empty: it.value == "", ShouldEncrypt: rules.ShouldEncrypt(keys, stack)}
			stack = nil
			if crypt.IsENC(it.value) && li.ShouldEncrypt {
				li.Encrypted, li.Ciphertext = true, it.value
			}
			info.Leaves = append(info.Leaves, li)
		}
	}
	return info, nil
}

// ReplaceMetadata writes the file again with m as its [sops] section;
// values and comments are untouched.
func ReplaceMetadata(b []byte, m *yamlwalk.Metadata) ([]byte, error) {
	secs, _, err := openEncrypted(b)
	if err != nil {
		return nil, err
	}
	ms, err := sopsSection(m)
	if err != nil {
		return nil, err
	}
	return emit(append(secs, ms))
}

// Tree reads a plaintext INI file for conversion to another format: a
// mapping of sections, each a mapping of its keys' values (strings), as
// sops's INI store reads them. Keys before any section and a [DEFAULT]
// section are one "DEFAULT" section, left out when empty (sops writes the
// implicit empty one, and a named one a second time); a section that
// appears twice is an error. Comments are not converted.
func Tree(text []byte) (any, error) {
	secs, meta, err := read(text)
	if err != nil {
		return nil, err
	}
	if meta != nil {
		return nil, errors.New("the file has a sops section: decrypt it before converting it")
	}
	o := sopsfile.Object{}
	at := map[string]int{}
	for _, s := range secs {
		var keys sopsfile.Object
		for _, it := range s.items {
			if !it.comment {
				keys = append(keys, sopsfile.Member{Key: it.key, Value: it.value})
			}
		}
		i, seen := at[s.name]
		switch {
		case seen && s.name == ini.DefaultSection:
			o[i].Value = mergeKeys(o[i].Value.(sopsfile.Object), keys)
			continue
		case seen:
			return nil, &sopsfile.ConvertError{Path: s.name, Msg: "the section appears twice"}
		case s.name == ini.DefaultSection && len(keys) == 0:
			continue
		}
		if keys == nil {
			keys = sopsfile.Object{}
		}
		at[s.name] = len(o)
		o = append(o, sopsfile.Member{Key: s.name, Value: keys})
	}
	return o, nil
}

// mergeKeys adds keys to o, a later value for a key replacing an
// earlier one in its place.
func mergeKeys(o, keys sopsfile.Object) sopsfile.Object {
	for _, k := range keys {
		found := false
		for i := range o {
			if o[i].Key == k.Key {
				o[i].Value, found = k.Value, true
			}
		}
		if !found {
			o = append(o, k)
		}
	}
	return o
}

// FromTree writes a tree as an INI file in sops's layout: each top-level
// key a section, each of its keys a value (numbers and booleans as JSON
// spells them, null as empty). A top-level scalar or anything nested
// deeper does not fit (as in sops). The output is read back and compared.
func FromTree(v any) ([]byte, error) {
	o, ok := v.(sopsfile.Object)
	if !ok {
		return nil, &sopsfile.ConvertError{Msg: "an INI file is a list of sections: the top level must be a mapping"}
	}
	var secs []section
	var want sopsfile.Object
	for _, m := range o {
		p := sopsfile.PathString{m.Key}
		keys, ok := m.Value.(sopsfile.Object)
		if !ok {
			return nil, &sopsfile.ConvertError{Path: p.String(), Msg: "an INI file holds values in sections: a top-level value must be a mapping (a section)"}
		}
		if m.Key == "sops" {
			return nil, &sopsfile.ConvertError{Path: p.String(), Msg: "the section name is reserved for sops metadata"}
		}
		if m.Key == ini.DefaultSection && len(keys) == 0 {
			continue
		}
		sec := section{name: m.Key}
		wk := sopsfile.Object{}
		for _, k := range keys {
			s, err := sopsfile.ScalarText(k.Value, p.Key(k.Key), "an INI")
			if err != nil {
				return nil, err
			}
			sec.items = append(sec.items, item{key: k.Key, value: s})
			wk = append(wk, sopsfile.Member{Key: k.Key, Value: s})
		}
		secs = append(secs, sec)
		want = append(want, sopsfile.Member{Key: m.Key, Value: wk})
	}
	if want == nil {
		want = sopsfile.Object{}
	}
	out, err := emit(secs)
	if err != nil {
		return nil, err
	}
	if _, err := sopsfile.CheckBack(out, want, Tree, "INI"); err != nil {
		// The library does not read back everything it writes (keys
		// with comment characters, some quotes): say where, not "report".
		var ce *sopsfile.ConvertError
		if errors.As(err, &ce) && ce.Path != "" {
			return nil, &sopsfile.ConvertError{Path: ce.Path, Msg: "the INI library cannot write this key or value so that it reads back the same"}
		}
		return nil, errors.New("the INI library cannot write these values so that they read back the same")
	}
	return out, nil
}
