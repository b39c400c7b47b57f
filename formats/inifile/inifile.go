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
				kvs = append(kvs, sopsfile.KV{Key: it.key, Value: strings.ReplaceAll(it.value, `\n`, "\n")})
			}
		}
	}
	if !found {
		return secs, nil, nil
	}
	o, err := sopsfile.Unflatten(kvs)
	if err != nil {
		return nil, nil, err
	}
	m, err := sopsfile.ParseMetadata(o)
	return rest, m, err
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
	all, err := load(src)
	if err != nil {
		return nil, err
	}
	secs, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	r := &sopsfile.Reuse{Key: key, Meta: meta}
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
	all, err := load(b)
	if err != nil {
		return nil, err
	}
	secs, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	var key []byte
	var rules yamlwalk.Rules
	if reuse != nil {
		if meta != nil {
			return nil, errors.New("the edited text has a sops section of its own")
		}
		key, rules = reuse.Key, reuse.Meta.Rules
	} else if key, rules, err = sopsfile.DataKey(meta, &opt); err != nil {
		return nil, err
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	res := &yamlwalk.Result{}
	oldMAC, newMAC := crypt.NewMAC(rules.MACOnlyEncrypted), crypt.NewMAC(rules.MACOnlyEncrypted)
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
					enc := reuse.Lookup(crypt.AAD([]string{s.name}), crypt.TypeComment, []byte(it.value))
					if enc == "" {
						if enc, err = c.Encrypt([]byte(it.value), crypt.TypeComment, crypt.AAD([]string{s.name}), nil); err != nil {
							return nil, err
						}
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
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, errors.New("value looks encrypted but the file has no sops metadata"))
				}
				pt, typ, err := c.Decrypt(it.value, aad)
				if err != nil {
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
				}
				canon, err := sopsfile.Canonical(typ, pt)
				if err != nil {
					return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
				}
				oldMAC.Add(canon)
				newMAC.Add(canon)
				continue
			}
			if !should || it.value == "" {
				if !rules.MACOnlyEncrypted {
					oldMAC.Add([]byte(it.value))
					newMAC.Add([]byte(it.value))
				}
				continue
			}
			enc := reuse.Lookup(aad, crypt.TypeStr, []byte(it.value))
			if enc == "" {
				if enc, err = c.Encrypt([]byte(it.value), crypt.TypeStr, aad, nil); err != nil {
					return nil, err
				}
			}
			newMAC.Add([]byte(it.value))
			it.value = enc
			res.Encrypted++
		}
	}
	if meta != nil {
		if !opt.IgnoreMAC {
			if err := sopsfile.CheckMAC(c, meta, oldMAC.Sum()); err != nil {
				return nil, err
			}
		}
		if res.Encrypted == 0 {
			res.Out = b
			return res, nil
		}
	}
	lastMod, macEnc, err := sopsfile.SealMAC(c, newMAC.Sum(), opt.Now)
	if err != nil {
		return nil, err
	}
	switch {
	case meta != nil:
		meta.LastModified, meta.MAC = lastMod, macEnc
	case reuse != nil:
		meta = reuse.Metadata(lastMod, macEnc)
	default:
		if meta, err = sopsfile.NewMetadata(key, &opt, rules, lastMod, macEnc); err != nil {
			return nil, err
		}
	}
	tree, err := sopsfile.MetadataTree(meta)
	if err != nil {
		return nil, err
	}
	ms := section{name: "sops"}
	for _, kv := range sopsfile.Flatten(tree, "") {
		ms.items = append(ms.items, item{key: kv.Key, value: strings.ReplaceAll(kv.Value, "\n", `\n`)})
	}
	if res.Out, err = emit(append(secs, ms)); err != nil {
		return nil, err
	}
	res.Changed = true
	d, err := decrypt(res.Out, key, false)
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
	all, err := load(b)
	if err != nil {
		return nil, err
	}
	_, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		return nil, err
	}
	return decrypt(b, key, opt.IgnoreMAC)
}

func decrypt(b, key []byte, ignoreMAC bool) (*yamlwalk.Decrypted, error) {
	all, err := load(b)
	if err != nil {
		return nil, err
	}
	secs, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := &yamlwalk.Decrypted{Metadata: meta, Key: key}
	mac := crypt.NewMAC(meta.Rules.MACOnlyEncrypted)
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
				if !meta.Rules.MACOnlyEncrypted {
					mac.Add([]byte(it.value))
				}
				continue
			}
			pt, typ, err := c.Decrypt(it.value, crypt.AAD(keys))
			if err != nil {
				return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
			}
			canon, err := sopsfile.Canonical(typ, pt)
			if err != nil {
				return nil, sopsfile.ValueError(path(s.name, it.key), 0, err)
			}
			mac.Add(canon)
			it.value = string(pt)
			if typ != crypt.TypeStr {
				it.value = string(canon)
				if typ == crypt.TypeBool {
					it.value = strings.ToLower(it.value)
				}
			}
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
	all, err := load(b)
	if err != nil {
		return nil, err
	}
	secs, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	if meta != nil {
		rules = meta.Rules
	} else if err := rules.Compile(); err != nil {
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
	all, err := load(b)
	if err != nil {
		return nil, err
	}
	secs, meta, err := metadataOf(all)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	tree, err := sopsfile.MetadataTree(m)
	if err != nil {
		return nil, err
	}
	ms := section{name: "sops"}
	for _, kv := range sopsfile.Flatten(tree, "") {
		ms.items = append(ms.items, item{key: kv.Key, value: strings.ReplaceAll(kv.Value, "\n", `\n`)})
	}
	return emit(append(secs, ms))
}
