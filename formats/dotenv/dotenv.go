// Package dotenv encrypts and decrypts .env files in the sops format,
// text-preserving: each value is encrypted in place, and comments, blank
// lines, "export " prefixes, quoting, order and line endings stay. sops's
// metadata is appended as its sops_… lines. Decrypting gives the original
// bytes back.
//
// sv reads a line as sops does, so that the files are the same to both:
// the key is everything before the first "=" (an "export " prefix or
// blanks included: they are part of the value's path), the value
// everything after it, quotes and trailing "# comments" included; the two
// characters \n in a value stand for a line break in the encrypted
// plaintext. A value is therefore encrypted with its quotes, and sops's own
// decryption of sv's file gives back the same lines (sops drops comments it
// cannot decrypt and blank lines, sv keeps them).
//
// sv's additions, which sops reads too:
//   - Comments stay in plaintext unless EncryptComments is set (sops
//     encrypts them: "#ENC[…,type:comment]"; sv decrypts those).
//   - A quoted value that spans several lines (as the common dotenv
//     loaders allow: "…" and '…') is one value: its plaintext is the quoted
//     text with its real line breaks, and the ENC value is followed by
//     " #sv:multiline" so that decryption gives the lines back. sops decrypts
//     it to one line with \n escapes, which loaders read as the same value
//     in double quotes but not in single quotes (Result.Warnings says so).
//   - Lines sops cannot read (blank lines holding spaces or a carriage
//     return, indented comments) are kept as they are; Result.Warnings
//     names them, since sops will refuse the file.
//
// The package never prints; errors name keys and lines, never values.
package dotenv

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Multiline is the marker after the ENC value of a multi-line value.
const Multiline = " #sv:multiline"

const sopsPrefix = "sops_"

type kind uint8

const (
	kBlank   kind = iota // empty line
	kComment             // starts with '#'
	kPair                // KEY=VALUE
	kOther               // kept as is; sops cannot read it
)

type entry struct {
	kind       kind
	start, end int // the entry's text without its final "\n"
	next       int // where the next entry starts
	line       int // first line, 1-based
	eq         int // the "=" of a pair
	multi      bool
}

func (e *entry) key(b []byte) string   { return string(b[e.start:e.eq]) }
func (e *entry) value(b []byte) string { return string(b[e.eq+1 : e.end]) }

// SyntaxError is a line sv cannot read; it names the line, never its text.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// parse splits b into entries.
func parse(b []byte) ([]entry, error) {
	var out []entry
	line := 1
	for pos := 0; pos < len(b); {
		end := lineEnd(b, pos)
		e := entry{start: pos, end: end, next: min(end+1, len(b)), line: line}
		l := b[pos:end]
		switch {
		case len(l) == 0:
			e.kind = kBlank
		case l[0] == '#':
			e.kind = kComment
		default:
			eq := bytes.IndexByte(l, '=')
			if eq < 0 {
				t := bytes.TrimLeft(l, " \t\r")
				if len(t) != 0 && t[0] != '#' {
					return nil, &SyntaxError{line, "not KEY=VALUE, a comment or a blank line"}
				}
				e.kind = kOther
				break
			}
			e.kind, e.eq = kPair, pos+eq
			if closeEnd, lines, ok := multiLine(b, pos+eq+1, end); ok {
				e.end, e.next, e.multi = closeEnd, min(closeEnd+1, len(b)), true
				line += lines
			}
		}
		out = append(out, e)
		pos = e.next
		if e.next == e.end { // last line without "\n"
			break
		}
		line++
	}
	return out, nil
}

func lineEnd(b []byte, pos int) int {
	if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
		return pos + i
	}
	return len(b)
}

// multiLine reports whether the value starting at v (on a line ending at
// end) opens a quote that closes on a later line; it returns the end of
// that line and the number of lines added.
func multiLine(b []byte, v, end int) (int, int, bool) {
	if v >= end || b[v] != '"' && b[v] != '\'' {
		return 0, 0, false
	}
	q := b[v]
	if closing(b[v+1:end], q) >= 0 {
		return 0, 0, false
	}
	lines := 0
	for pos := end; pos < len(b); {
		pos++ // the "\n"
		lines++
		e := lineEnd(b, pos)
		if closing(b[pos:e], q) >= 0 {
			return e, lines, true
		}
		pos = e
	}
	return 0, 0, false // never closed: a one-line value, as sops reads it
}

// closing finds the closing quote q in s: the first q, not escaped by a
// backslash in double quotes.
func closing(s []byte, q byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

// plaintext is what sops encrypts for a one-line raw value.
func plaintext(raw string) string { return strings.ReplaceAll(raw, `\n`, "\n") }

// rawText is the inverse of plaintext.
func rawText(pt string) string { return strings.ReplaceAll(pt, "\n", `\n`) }

// validMulti reports whether pt, a decrypted multi-line value, is one
// quoted value that closes on its last line, so writing it out cannot add
// lines of its own.
func validMulti(pt string) bool {
	if len(pt) < 2 || pt[0] != '"' && pt[0] != '\'' || !strings.Contains(pt, "\n") {
		return false
	}
	first, rest, _ := strings.Cut(pt, "\n")
	if closing([]byte(first[1:]), pt[0]) >= 0 {
		return false
	}
	lines := strings.Split(rest, "\n")
	for i, l := range lines {
		if (closing([]byte(l), pt[0]) >= 0) != (i == len(lines)-1) {
			return false
		}
	}
	return true
}

// splitENC splits an encrypted value's text into the ENC string and what
// follows its closing bracket (the multi-line marker, a carriage return).
func splitENC(v string) (enc, rest string) {
	i := strings.LastIndexByte(v, ']')
	if i < 0 {
		return v, ""
	}
	return v[:i+1], v[i+1:]
}

// IsEncrypted reports cheaply whether b looks like a sops dotenv file.
func IsEncrypted(b []byte) bool {
	return (bytes.HasPrefix(b, []byte("sops_mac=")) || bytes.Contains(b, []byte("\nsops_mac="))) &&
		bytes.Contains(b, []byte("sops_lastmodified="))
}

func metadataOf(b []byte, entries []entry) (*yamlwalk.Metadata, error) {
	var kvs []sopsfile.KV
	for _, e := range entries {
		if e.kind == kPair && strings.HasPrefix(e.key(b), sopsPrefix) {
			v := strings.TrimSuffix(e.value(b), "\r")
			kvs = append(kvs, sopsfile.KV{Key: strings.TrimPrefix(e.key(b), sopsPrefix), Value: v})
		}
	}
	if kvs == nil {
		return nil, nil
	}
	return sopsfile.ParseFlat(kvs)
}

// read parses a file: its entries and its metadata (nil if it has none).
func read(b []byte) ([]entry, *yamlwalk.Metadata, error) {
	entries, err := parse(b)
	if err != nil {
		return nil, nil, err
	}
	meta, err := metadataOf(b, entries)
	return entries, meta, err
}

// openEncrypted is read for a file that must be encrypted.
func openEncrypted(b []byte) ([]entry, *yamlwalk.Metadata, error) {
	entries, meta, err := read(b)
	if err == nil && meta == nil {
		err = yamlwalk.ErrNotEncrypted
	}
	return entries, meta, err
}

// commentRules: sops leaves a comment that matches a comment regex in
// clear, and reads the run of comments before a key.
type commentRules struct {
	re *regexp.Regexp
}

func newCommentRules(r yamlwalk.Rules) commentRules {
	s := r.UnencryptedCommentRegex
	if s == "" {
		s = r.EncryptedCommentRegex
	}
	if s == "" {
		return commentRules{}
	}
	re, _ := regexp.Compile(s) // compiled before by Rules.Compile
	return commentRules{re}
}

func (c commentRules) matches(s string) bool { return c.re != nil && c.re.MatchString(s) }

// Encrypt encrypts every value the rules select and returns the new text.
// A file that is already encrypted is updated incrementally: only values
// still in plaintext are encrypted (under its data key), existing
// ciphertexts stay byte-identical, and the MAC is checked before and
// recomputed after. opt.Stash does not apply.
func Encrypt(b []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return encrypt(b, opt, nil)
}

// Reencrypt encrypts plain, the edited plaintext of the encrypted file src
// whose data key is key, under the same key and metadata; values that did
// not change keep their ciphertext.
func Reencrypt(src, plain, key []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	entries, meta, err := openEncrypted(src)
	if err != nil {
		return nil, err
	}
	r, c, err := sopsfile.NewReuse(key, meta)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.kind != kPair || strings.HasPrefix(e.key(src), sopsPrefix) {
			continue
		}
		enc, rest := splitENC(e.value(src))
		if !crypt.IsENC(enc) {
			continue
		}
		aad := crypt.AAD([]string{e.key(src)})
		if pt, typ, err := c.Decrypt(enc, aad); err == nil {
			r.Remember(aad, stashKind(typ, strings.HasPrefix(rest, Multiline)), pt, enc)
		}
	}
	if opt.EncryptComments = opt.EncryptComments || hasEncryptedComments(src, entries); opt.EncryptComments {
		for _, e := range entries {
			if e.kind != kComment {
				continue
			}
			if text := string(src[e.start+1 : e.end]); crypt.IsENC(text) {
				if pt, typ, err := c.Decrypt(text, crypt.AAD(nil)); err == nil {
					r.Remember(crypt.AAD(nil), typ, pt, text)
				}
			}
		}
	}
	return encrypt(plain, opt, r)
}

func stashKind(typ string, multi bool) string {
	if multi {
		return typ + "/multiline"
	}
	return typ
}

func encrypt(b []byte, opt yamlwalk.EncryptOptions, reuse *sopsfile.Reuse) (*yamlwalk.Result, error) {
	entries, meta, err := read(b)
	if err != nil {
		return nil, err
	}
	en, err := sopsfile.BeginEncrypt(meta, &opt, reuse, "sops_ lines")
	if err != nil {
		return nil, err
	}
	c, rules := en.Cipher, en.Rules
	cr := newCommentRules(rules)
	encryptComments := opt.EncryptComments || meta != nil && hasEncryptedComments(b, entries)
	res := &yamlwalk.Result{}
	var edits []edit
	var want []sopsfile.Plain
	var stack []string
	for _, e := range entries {
		switch e.kind {
		case kBlank:
			continue
		case kOther:
			res.Warnings = append(res.Warnings, fmt.Sprintf("line %d: sops cannot read a line that holds only blanks or an indented comment (sv keeps it)", e.line))
			continue
		case kComment:
			text := string(b[e.start+1 : e.end])
			if crypt.IsENC(text) {
				if pt, _, err := c.Decrypt(text, crypt.AAD(nil)); err == nil {
					text = string(pt)
				}
				stack = append(stack, text)
				continue
			}
			stack = append(stack, text)
			if !encryptComments || cr.matches(text) || !rules.ShouldEncrypt(nil, stack[:len(stack)-1]) || strings.TrimSpace(text) == "" {
				continue
			}
			enc, err := en.Encrypt(crypt.AAD(nil), crypt.TypeComment, crypt.TypeComment, []byte(text))
			if err != nil {
				return nil, err
			}
			edits = append(edits, edit{e.start + 1, e.end, enc})
			res.Encrypted++
			continue
		}
		k := e.key(b)
		comments := stack
		stack = nil
		if strings.HasPrefix(k, sopsPrefix) {
			if meta == nil {
				return nil, &SyntaxError{e.line, sopsfile.ReservedKeyError(k).Error()}
			}
			continue
		}
		raw := e.value(b)
		keys := []string{k}
		should := rules.ShouldEncrypt(keys, comments)
		aad := crypt.AAD(keys)
		if crypt.IsENC(raw) && should {
			if meta == nil {
				return nil, sopsfile.ValueError(k, e.line, sopsfile.ErrStrayENC)
			}
			enc, _ := splitENC(raw)
			pt, _, err := c.Decrypt(enc, aad)
			if err != nil {
				return nil, sopsfile.ValueError(k, e.line, err)
			}
			en.Kept(pt, true)
			want = append(want, sopsfile.Plain{Path: k, Canon: string(pt)})
			continue
		}
		pt := raw
		if !e.multi {
			pt = plaintext(raw)
		}
		want = append(want, sopsfile.Plain{Path: k, Canon: pt})
		if !should || pt == "" {
			en.Kept([]byte(pt), false)
			continue
		}
		enc, err := en.Encrypt(aad, stashKind(crypt.TypeStr, e.multi), crypt.TypeStr, []byte(pt))
		if err != nil {
			return nil, err
		}
		text := enc
		if e.multi {
			text += Multiline
			if pt[0] == '\'' {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s (line %d): a multi-line single-quoted value: sops decrypts it to one line with \\n escapes, which dotenv loaders do not read as line breaks inside single quotes (sv gives the lines back)", k, e.line))
			}
		}
		if strings.HasSuffix(raw, "\r") {
			text += "\r"
		}
		edits = append(edits, edit{e.eq + 1, e.end, text})
		en.Added([]byte(pt))
		res.Encrypted++
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
		e, err := updateMetadata(b, entries, m.LastModified, m.MAC)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	} else {
		e, err := appendMetadata(b, m)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	res.Out = applyEdits(b, edits)
	res.Changed = true
	d, got, err := decrypt(res.Out, en.Key, false)
	if err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if err := sopsfile.SameValues(want, got); err != nil {
		return nil, sopsfile.Unfaithful(err)
	}
	if meta == nil && !bytes.Equal(d.Text, b) {
		return nil, sopsfile.Unfaithful(errors.New("the output does not decrypt to the input's text"))
	}
	return res, nil
}

func hasEncryptedComments(b []byte, entries []entry) bool {
	for _, e := range entries {
		if e.kind == kComment && crypt.IsENC(string(b[e.start+1:e.end])) {
			return true
		}
	}
	return false
}

// Decrypt opens an encrypted dotenv file: it recovers the data key,
// decrypts and verifies every value against its key, checks the MAC,
// decrypts encrypted comments and removes the sops_ lines.
func Decrypt(b []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	_, meta, err := openEncrypted(b)
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
	entries, meta, err := openEncrypted(b)
	if err != nil {
		return nil, nil, err
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	out := &yamlwalk.Decrypted{Metadata: meta, Key: key}
	mac := sopsfile.NewMAC(meta.Rules.MACOnlyEncrypted)
	var edits []edit
	var got []sopsfile.Plain
	var stack []string
	// The run of sops_ lines that ends the file: if the file has no final
	// line break, the line break before the run goes with it.
	tailStart := len(entries)
	for tailStart > 0 && strings.HasPrefix(entries[tailStart-1].keyOrEmpty(b), sopsPrefix) {
		tailStart--
	}
	noFinalLF := len(b) > 0 && b[len(b)-1] != '\n'
	for i, e := range entries {
		switch e.kind {
		case kComment:
			text := string(b[e.start+1 : e.end])
			if crypt.IsENC(text) {
				pt, typ, err := c.Decrypt(text, crypt.AAD(nil))
				if err != nil || typ != crypt.TypeComment {
					out.Warnings = append(out.Warnings, fmt.Sprintf("line %d: an encrypted comment does not decrypt; kept as it is", e.line))
				} else {
					text = string(pt)
					edits = append(edits, edit{e.start + 1, e.end, rawText(text)})
				}
			}
			stack = append(stack, text)
			continue
		case kPair:
		default:
			continue
		}
		k := e.key(b)
		comments := stack
		stack = nil
		if strings.HasPrefix(k, sopsPrefix) {
			// Remove the line with its line break; the last line of a file
			// sv wrote without a final line break takes the one before it.
			start, end := e.start, e.next
			if i == tailStart && i > 0 && noFinalLF {
				start = e.start - 1
			}
			edits = append(edits, edit{start, end, ""})
			continue
		}
		raw := e.value(b)
		keys := []string{k}
		should := meta.Rules.ShouldEncrypt(keys, comments)
		if !should || !crypt.IsENC(raw) {
			pt := raw
			if !e.multi {
				pt = plaintext(raw)
			}
			if should && pt != "" {
				return nil, nil, sopsfile.ValueError(k, e.line, yamlwalk.ErrNotPlain)
			}
			mac.Add([]byte(pt), false)
			got = append(got, sopsfile.Plain{Path: k, Canon: pt})
			continue
		}
		enc, rest := splitENC(raw)
		_, typ, canon, err := sopsfile.DecryptValue(c, enc, crypt.AAD(keys))
		if err != nil {
			return nil, nil, sopsfile.ValueError(k, e.line, err)
		}
		pt := sopsfile.StringText(typ, canon)
		mac.Add(canon, true)
		got = append(got, sopsfile.Plain{Path: k, Canon: string(canon)})
		text := rawText(pt)
		if strings.HasPrefix(rest, Multiline) {
			if !validMulti(pt) {
				return nil, nil, sopsfile.ValueError(k, e.line, errors.New("marked multi-line but not one quoted value"))
			}
			text = pt
		}
		edits = append(edits, edit{e.eq + 1, e.end, text})
	}
	if !ignoreMAC {
		if err := sopsfile.CheckMAC(c, meta, mac.Sum()); err != nil {
			return nil, nil, err
		}
	}
	out.Text = applyEdits(b, edits)
	return out, got, nil
}

func (e *entry) keyOrEmpty(b []byte) string {
	if e.kind != kPair {
		return ""
	}
	return e.key(b)
}

type edit struct {
	start, end int
	text       string
}

func applyEdits(b []byte, edits []edit) []byte {
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].start < edits[j-1].start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	var out bytes.Buffer
	out.Grow(len(b))
	pos := 0
	for _, e := range edits {
		if e.start < pos {
			e.start = pos
		}
		out.Write(b[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(b[pos:])
	return out.Bytes()
}

// MetadataLines renders m as sops's dotenv store writes it.
func MetadataLines(m *yamlwalk.Metadata) ([]string, error) {
	kvs, err := sopsfile.FlatMetadata(m, sopsPrefix)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, kv := range kvs {
		lines = append(lines, kv.Key+"="+kv.Value)
	}
	return lines, nil
}

// appendMetadata adds the sops_ lines at the end, with "\n" line breaks
// (sops reads a "\r" as part of the value). A file without a final line
// break keeps having none.
func appendMetadata(b []byte, m *yamlwalk.Metadata) (edit, error) {
	lines, err := MetadataLines(m)
	if err != nil {
		return edit{}, err
	}
	text := strings.Join(lines, "\n") + "\n"
	if len(b) > 0 && b[len(b)-1] != '\n' {
		text = "\n" + strings.TrimSuffix(text, "\n")
	}
	return edit{len(b), len(b), text}, nil
}

func updateMetadata(b []byte, entries []entry, lastMod, mac string) ([]edit, error) {
	var edits []edit
	for _, e := range entries {
		if e.kind != kPair {
			continue
		}
		var v string
		switch e.key(b) {
		case sopsPrefix + "lastmodified":
			v = lastMod
		case sopsPrefix + "mac":
			v = mac
		default:
			continue
		}
		if strings.HasSuffix(e.value(b), "\r") {
			v += "\r"
		}
		edits = append(edits, edit{e.eq + 1, e.end, v})
	}
	if len(edits) != 2 {
		return nil, &yamlwalk.MetadataError{Msg: "sops_lastmodified or sops_mac is missing"}
	}
	return edits, nil
}

// Extract returns the value of key in a plaintext dotenv file as sops's
// --extract gives it: the text after "=", quotes included, with \n read as
// a line break (a multi-line value as it is). A key written with "export "
// is found without it too.
func Extract(text []byte, key string) ([]byte, error) {
	entries, err := parse(text)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{key, "export " + key} {
		for _, e := range entries {
			if e.kind == kPair && e.key(text) == k {
				raw := strings.TrimSuffix(e.value(text), "\r")
				if e.multi {
					return []byte(raw), nil
				}
				return []byte(plaintext(raw)), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: not found in the file", key)
}
