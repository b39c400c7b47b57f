// Package jsonfile encrypts and decrypts JSON files in the sops format,
// text-preserving: only string, number and boolean values change, each to
// an "ENC[…]" string in place; key order, whitespace, indentation and the
// final line break stay, and the sops object is appended in the file's own
// layout with sops's JSON field names, order and types. Decrypting gives
// the original bytes back.
//
// Files sops wrote (re-indented with tabs) decrypt to sops's layout with
// the exact values; numbers keep the spelling that was encrypted.
//
// A string's escapes: decryption writes a string with the fewest escapes
// ("\"", "\\", \n, \t, … and \u00xx for other control characters), or with
// every non-ASCII character escaped as \uxxxx (Python's ensure_ascii, lower-
// or upper-case hex) when the original was spelled that way; sv records the
// latter by writing the ENC string's closing bracket as \u005d (\u005D),
// which every JSON reader, sops included, decodes to "]". Other spellings
// (an escaped "/", Go's \u003c for "<") come back with the fewest escapes
// and are reported in Result.Respelled.
//
// It reads JSON with encoding/json's Decoder, as sops does, and accepts
// what sops accepts, but for text after the top-level object, invalid
// UTF-8 and unpaired surrogates, which sops would drop or change (see
// parse). The package never prints; errors name paths, lines and byte
// offsets, never values.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// IsEncrypted reports cheaply whether b looks like a sops JSON file: a
// "sops" key with a mac. It verifies nothing.
func IsEncrypted(b []byte) bool {
	return bytes.Contains(b, []byte(`"sops"`)) && bytes.Contains(b, []byte(`"mac"`)) && bytes.Contains(b, []byte(`"lastmodified"`))
}

type leaf struct {
	n    *node
	keys []string // mapping keys from the root: the AAD path
	path sopsfile.PathString
}

// walk visits every scalar in document order, skipping the top-level sops
// member. The keys and path of a leaf are its own (fn may keep them);
// on the way down they grow in place, so that a deep file costs time in
// proportion to its size, not to its depth squared.
func walk(root *node, fn func(l leaf) error) error {
	var keys []string
	var path sopsfile.PathString
	var rec func(n *node) error
	rec = func(n *node) error {
		switch n.kind {
		case kObject:
			for _, m := range n.members {
				if n == root && m.key == "sops" {
					continue
				}
				keys, path = append(keys, m.key), append(path, m.key)
				if err := rec(m.value); err != nil {
					return err
				}
				keys, path = keys[:len(keys)-1], path[:len(path)-1]
			}
		case kArray:
			for i, it := range n.items {
				path = append(path, sopsfile.PathString(nil).Index(i)...) // not path.Index: it copies
				if err := rec(it); err != nil {
					return err
				}
				path = path[:len(path)-1]
			}
		default:
			return fn(leaf{n, slices.Clone(keys), slices.Clone(path)})
		}
		return nil
	}
	return rec(root)
}

func sopsIndex(root *node) (int, error) {
	idx := -1
	for i, m := range root.members {
		if m.key == "sops" {
			if idx >= 0 {
				return 0, &yamlwalk.MetadataError{Msg: "the sops key appears twice"}
			}
			idx = i
		}
	}
	return idx, nil
}

// toGeneric converts a parsed value into sopsfile's tree.
func toGeneric(n *node, b []byte) any {
	switch n.kind {
	case kObject:
		o := sopsfile.Object{}
		for _, m := range n.members {
			o = append(o, sopsfile.Member{Key: m.key, Value: toGeneric(m.value, b)})
		}
		return o
	case kArray:
		l := []any{}
		for _, it := range n.items {
			l = append(l, toGeneric(it, b))
		}
		return l
	case kString:
		return n.str
	case kNumber:
		f, _ := strconv.ParseFloat(string(b[n.start:n.end]), 64)
		return f
	case kTrue:
		return true
	case kFalse:
		return false
	}
	return nil
}

func metadataOf(root *node, b []byte) (*yamlwalk.Metadata, int, error) {
	idx, err := sopsIndex(root)
	if err != nil || idx < 0 {
		return nil, idx, err
	}
	v := root.members[idx].value
	if v.kind != kObject {
		return nil, idx, &yamlwalk.MetadataError{Msg: "the top-level sops key is not an object (a plaintext file may not use the key sops)"}
	}
	m, err := sopsfile.ParseMetadata(toGeneric(v, b).(sopsfile.Object))
	return m, idx, err
}

// read parses a file: its tree, its metadata (nil if it has none) and the
// index of the sops member.
func read(b []byte) (*node, *yamlwalk.Metadata, int, error) {
	root, err := parse(b)
	if err != nil {
		return nil, nil, 0, err
	}
	meta, idx, err := metadataOf(root, b)
	return root, meta, idx, err
}

// openEncrypted is read for a file that must be encrypted.
func openEncrypted(b []byte) (*node, *yamlwalk.Metadata, int, error) {
	root, meta, idx, err := read(b)
	if err == nil && meta == nil {
		err = yamlwalk.ErrNotEncrypted
	}
	return root, meta, idx, err
}

// plainValue is a scalar's sops type, the plaintext sv encrypts (numbers
// keep their spelling) and the canonical bytes the MAC covers; typ is ""
// for null.
func plainValue(n *node, b []byte) (typ string, pt, canon []byte, err error) {
	switch n.kind {
	case kString:
		return crypt.TypeStr, []byte(n.str), []byte(n.str), nil
	case kTrue, kFalse:
		t := sopsfile.BoolText(n.kind == kTrue)
		return crypt.TypeBool, t, t, nil
	case kNumber:
		text := string(b[n.start:n.end])
		// sops decodes numbers with UseNumber: an int64 is an int, the
		// rest a float64.
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return crypt.TypeInt, []byte(text), []byte(strconv.Itoa(int(i))), nil
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "", nil, nil, errors.New("a number out of the range sops can read")
		}
		return crypt.TypeFloat, []byte(text), []byte(strconv.FormatFloat(f, 'f', -1, 64)), nil
	}
	return "", nil, nil, nil
}

type edit struct {
	start, end int
	text       string
}

func applyEdits(b []byte, edits []edit) []byte {
	// Edits come in document order and never overlap.
	var out bytes.Buffer
	out.Grow(len(b))
	pos := 0
	for _, e := range edits {
		out.Write(b[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(b[pos:])
	return out.Bytes()
}

func lineAt(b []byte, off int) int {
	return bytes.Count(b[:min(off, len(b))], []byte("\n")) + 1
}

// Encrypt encrypts every value the rules select and returns the new text.
// A file that is already encrypted is updated incrementally: only values
// still in plaintext are encrypted (under its data key), existing
// ciphertexts stay byte-identical, and the MAC is checked before and
// recomputed after. opt.Stash and opt.EncryptComments do not apply.
func Encrypt(b []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return encrypt(b, opt, nil)
}

// Reencrypt encrypts plain, the edited plaintext of the encrypted file src
// whose data key is key, under the same key and metadata; values that did
// not change keep their ciphertext.
func Reencrypt(src, plain, key []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	r, err := reuseOf(src, key)
	if err != nil {
		return nil, err
	}
	return encrypt(plain, opt, r)
}

func reuseOf(src, key []byte) (*sopsfile.Reuse, error) {
	root, meta, _, err := openEncrypted(src)
	if err != nil {
		return nil, err
	}
	r, c, err := sopsfile.NewReuse(key, meta)
	if err != nil {
		return nil, err
	}
	err = walk(root, func(l leaf) error {
		n := l.n
		if n.kind != kString || !crypt.IsENC(n.str) || !meta.Rules.ShouldEncrypt(l.keys, nil) {
			return nil
		}
		aad := crypt.AAD(l.keys)
		pt, typ, err := c.Decrypt(n.str, aad)
		if err != nil {
			return sopsfile.ValueError(l.path.String(), lineAt(src, n.start), err)
		}
		r.Remember(aad, stashKind(typ, markerStyle(string(src[n.start:n.end]))), pt, n.str)
		return nil
	})
	return r, err
}

func stashKind(typ string, st style) string {
	if typ != crypt.TypeStr {
		return typ
	}
	return typ + "/" + strconv.Itoa(int(st))
}

func encrypt(b []byte, opt yamlwalk.EncryptOptions, reuse *sopsfile.Reuse) (*yamlwalk.Result, error) {
	root, meta, _, err := read(b)
	if err != nil {
		return nil, err
	}
	en, err := sopsfile.BeginEncrypt(meta, &opt, reuse, "a sops key")
	if err != nil {
		return nil, err
	}
	res := &yamlwalk.Result{}
	var edits []edit
	var want []sopsfile.Plain
	err = walk(root, func(l leaf) error {
		n := l.n
		typ, pt, canon, err := plainValue(n, b)
		if err != nil {
			return sopsfile.ValueError(l.path.String(), lineAt(b, n.start), err)
		}
		if typ == "" {
			return nil
		}
		should := en.Rules.ShouldEncrypt(l.keys, nil)
		aad := crypt.AAD(l.keys)
		if n.kind == kString && crypt.IsENC(n.str) && should {
			if meta == nil {
				return sopsfile.ValueError(l.path.String(), lineAt(b, n.start), sopsfile.ErrStrayENC)
			}
			_, typ, canon, err := sopsfile.DecryptValue(en.Cipher, n.str, aad)
			if err != nil {
				return sopsfile.ValueError(l.path.String(), lineAt(b, n.start), err)
			}
			en.Kept(canon, true)
			want = append(want, sopsfile.Plain{Path: l.path.String(), Type: typ, Canon: string(canon)})
			return nil
		}
		want = append(want, sopsfile.Plain{Path: l.path.String(), Type: typ, Canon: string(canon)})
		if !should || typ == crypt.TypeStr && len(pt) == 0 {
			en.Kept(canon, false)
			return nil
		}
		st := minimal
		if n.kind == kString {
			var exact bool
			st, exact = classify(string(b[n.start:n.end]), n.str)
			if !exact {
				res.Respelled = append(res.Respelled, l.path.String())
			}
		}
		enc, err := en.Encrypt(aad, stashKind(typ, st), typ, pt)
		if err != nil {
			return err
		}
		edits = append(edits, edit{n.start, n.end, encLiteral(enc, st)})
		en.Added(canon)
		res.Encrypted++
		return nil
	})
	if err != nil {
		return nil, err
	}
	m, unchanged, err := en.Seal(res.Encrypted)
	if err != nil {
		return nil, err
	}
	if unchanged {
		res.Out = b
		return res, nil
	}
	if meta != nil {
		e, err := updateMetadata(root, b, m.LastModified, m.MAC)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	} else {
		e, err := appendMetadata(root, b, m)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	sortEdits(edits)
	res.Out = applyEdits(b, edits)
	res.Changed = true
	// Check the output: every value decrypts under its path to what went
	// in, the MAC verifies, and a new file decrypts to the input's bytes.
	d, got, err := decrypt(res.Out, en.Key, false)
	if err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if err := sopsfile.SameValues(want, got); err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if meta == nil && len(res.Respelled) == 0 && !bytes.Equal(d.Text, b) {
		return nil, sopsfile.Unfaithful(errors.New("the output does not decrypt to the input's text"))
	}
	return res, nil
}

func sortEdits(edits []edit) {
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].start < edits[j-1].start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
}

// Decrypt opens an encrypted JSON file: it recovers the data key, decrypts
// and verifies every value against its path, checks the MAC and removes
// the sops member. Everything else is returned as it was.
func Decrypt(b []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	_, meta, _, err := openEncrypted(b)
	if err != nil {
		return nil, err
	}
	key, err := opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		return nil, err
	}
	d, _, err := decrypt(b, key, opt.IgnoreMAC)
	return d, err
}

func decrypt(b, key []byte, ignoreMAC bool) (*yamlwalk.Decrypted, []sopsfile.Plain, error) {
	root, meta, idx, err := openEncrypted(b)
	if err != nil {
		return nil, nil, err
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	mac := sopsfile.NewMAC(meta.Rules.MACOnlyEncrypted)
	var edits []edit
	var got []sopsfile.Plain
	err = walk(root, func(l leaf) error {
		n := l.n
		line := func() int { return lineAt(b, n.start) }
		should := meta.Rules.ShouldEncrypt(l.keys, nil)
		if !should || n.kind != kString || !crypt.IsENC(n.str) {
			typ, pt, canon, err := plainValue(n, b)
			if err != nil {
				return sopsfile.ValueError(l.path.String(), line(), err)
			}
			if typ == "" {
				return nil
			}
			if should && !(typ == crypt.TypeStr && len(pt) == 0) {
				return sopsfile.ValueError(l.path.String(), line(), yamlwalk.ErrNotPlain)
			}
			mac.Add(canon, false)
			got = append(got, sopsfile.Plain{Path: l.path.String(), Type: typ, Canon: string(canon)})
			return nil
		}
		pt, typ, canon, err := sopsfile.DecryptValue(c, n.str, crypt.AAD(l.keys))
		if err == nil && typ == crypt.TypeComment {
			err = errors.New("a comment value in a JSON file")
		}
		if err != nil {
			return sopsfile.ValueError(l.path.String(), line(), err)
		}
		text, err := render(typ, pt, markerStyle(string(b[n.start:n.end])))
		if err != nil {
			return sopsfile.ValueError(l.path.String(), line(), err)
		}
		mac.Add(canon, true)
		got = append(got, sopsfile.Plain{Path: l.path.String(), Type: typ, Canon: string(canon)})
		edits = append(edits, edit{n.start, n.end, text})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if !ignoreMAC {
		if err := sopsfile.CheckMAC(c, meta, mac.Sum()); err != nil {
			return nil, nil, err
		}
	}
	edits = append(edits, removal(root, b, idx))
	sortEdits(edits)
	return &yamlwalk.Decrypted{Text: applyEdits(b, edits), Metadata: meta, Key: key}, got, nil
}

// render spells a decrypted value as JSON.
func render(typ string, pt []byte, st style) (string, error) {
	switch typ {
	case crypt.TypeInt, crypt.TypeFloat:
		if isNumber(string(pt)) {
			return string(pt), nil
		}
		f, err := strconv.ParseFloat(string(pt), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", errors.New("the number has no JSON spelling")
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	case crypt.TypeBool:
		v, err := strconv.ParseBool(string(pt))
		if err != nil {
			return "", errors.New("a bool value does not decode as a boolean")
		}
		return strconv.FormatBool(v), nil
	}
	if !utf8Valid(pt) {
		return "", errors.New("the value is not UTF-8 text, which JSON cannot hold")
	}
	return quote(string(pt), st), nil
}

// removal is the edit that takes the sops member out again: from the end
// of the previous member's value (so the comma and the line sv or sops
// added go too).
func removal(root *node, b []byte, idx int) edit {
	ms := root.members
	switch {
	case idx > 0:
		return edit{ms[idx-1].value.end, ms[idx].value.end, ""}
	case len(ms) > 1:
		return edit{ms[0].keyStart, ms[1].keyStart, ""}
	}
	if bytes.IndexByte(b[root.start+1:ms[0].keyStart], '\n') >= 0 {
		// sops's layout of a file with nothing but metadata: "{}" is left.
		return edit{root.start + 1, root.end - 1, ""}
	}
	return edit{ms[0].keyStart, ms[0].value.end, ""}
}

// layoutOf is how a file is written, for the sops object sv writes.
func layoutOf(root *node, b []byte) sopsfile.JSONLayout {
	lay := sopsfile.JSONLayout{EOL: "\n", Colon: ": ", Unit: "\t", Comma: " "}
	if bytes.Contains(b, []byte("\r\n")) {
		lay.EOL = "\r\n"
	}
	if len(root.members) == 0 {
		return lay
	}
	m := root.members[0]
	lay.Colon = colonOf(b, m)
	gap := string(b[root.start+1 : m.keyStart])
	if i := strings.LastIndexByte(gap, '\n'); i >= 0 {
		lay.Multiline = true
		lay.Base = gap[i+1:]
		lay.Unit = indentUnit(root, b, lay.Base)
	} else {
		lay.Comma = ""
		if len(root.members) > 1 {
			lay.Comma = string(b[m.value.end+1 : root.members[1].keyStart])
			if i := bytes.IndexByte(b[m.value.end:root.members[1].keyStart], ','); i >= 0 {
				lay.Comma = string(b[m.value.end+i+1 : root.members[1].keyStart])
			}
		} else if lay.Colon != ":" {
			lay.Comma = " "
		}
	}
	return lay
}

func colonOf(b []byte, m member) string {
	return string(b[m.keyEnd:m.value.start])
}

// indentUnit finds the step from the top-level members to the next level
// from the first nested multi-line object or array; a tab or two spaces
// otherwise, after the base.
func indentUnit(root *node, b []byte, base string) string {
	find := func(n *node, ind string) string {
		var first int
		switch {
		case n.kind == kObject && len(n.members) > 0:
			first = n.members[0].keyStart
		case n.kind == kArray && len(n.items) > 0:
			first = n.items[0].start
		default:
			return ""
		}
		gap := string(b[n.start+1 : first])
		i := strings.LastIndexByte(gap, '\n')
		if i < 0 {
			return ""
		}
		in := gap[i+1:]
		if strings.HasPrefix(in, ind) && len(in) > len(ind) {
			return in[len(ind):]
		}
		return ""
	}
	for _, m := range root.members {
		if u := find(m.value, base); u != "" {
			return u
		}
	}
	if base != "" && strings.Trim(base, " ") == "" {
		return base
	}
	if base != "" && strings.Trim(base, "\t") == "" {
		return "\t"
	}
	return "\t"
}

// appendMetadata adds the sops member after the last member, in the file's
// layout.
func appendMetadata(root *node, b []byte, m *yamlwalk.Metadata) (edit, error) {
	tree, err := sopsfile.MetadataTree(m)
	if err != nil {
		return edit{}, err
	}
	lay := layoutOf(root, b)
	var sb strings.Builder
	if len(root.members) > 0 {
		sb.WriteByte(',')
		if lay.Multiline {
			sb.WriteString(lay.EOL + lay.Base)
		} else {
			sb.WriteString(lay.Comma)
		}
	}
	sb.WriteString(`"sops"` + lay.Colon)
	sopsfile.WriteJSON(&sb, tree, lay, 1)
	at := root.start + 1
	if len(root.members) > 0 {
		at = root.members[len(root.members)-1].value.end
	}
	return edit{at, at, sb.String()}, nil
}

// updateMetadata rewrites lastmodified and mac in place.
func updateMetadata(root *node, b []byte, lastMod, mac string) ([]edit, error) {
	idx, _ := sopsIndex(root)
	var edits []edit
	for _, m := range root.members[idx].value.members {
		var s string
		switch m.key {
		case "lastmodified":
			s = lastMod
		case "mac":
			s = mac
		default:
			continue
		}
		if m.value.kind != kString {
			return nil, &yamlwalk.MetadataError{Msg: m.key + " is not a string"}
		}
		j, _ := json.Marshal(s)
		edits = append(edits, edit{m.value.start, m.value.end, string(j)})
	}
	if len(edits) != 2 {
		return nil, &yamlwalk.MetadataError{Msg: "lastmodified or mac is missing"}
	}
	return edits, nil
}
