package yamlwalk

import (
	"bytes"
	"runtime"
	"strings"
	"sync"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// The fast decrypt path. Files that are already encrypted are, almost
// always, block-style YAML as sops (or sv) wrote it: one key or list item
// per line, every value an ENC[…] scalar, comments on lines of their own,
// a sops block at the end of each document. For such a file yaml.v3's node
// tree (built, measured, walked and then mapped back to byte offsets) costs
// several times the decryption itself. fastScan reads the bytes once,
// tracking the key path by indentation, and lists the ENC scalars and
// encrypted comments with the paths they are bound to; decrypt then opens
// them (on every core), checks the MAC in sops's order and streams the
// plaintext, spelled by the node path's own functions (render), into one
// buffer.
//
// The scan accepts only a small, fully understood subset of YAML and
// declines everything else (flow collections other than [] and {}, anchors,
// aliases, tags, block scalars, scalars over several lines, unencrypted
// values other than one-line plain or quoted scalars, odd indentation,
// document markers other than "---", CR, non-ASCII (in the sops blocks
// too: yaml.v3 breaks lines at NEL, LS and PS), …): Decrypt then takes
// the node path. Where the node path reads its output back
// (verifyReadBack: a spelling on several lines or with a tag, comment
// items of a list, the "[]" of a list that held only comments), so does
// the fast path. Every failure (a tag or the MAC that
// does not verify, a value it does not expect, a comment that opens under
// none of the paths it tries) declines too, and the node path gives its own
// answer and error. So the fast path either gives exactly what the node
// path gives (Text, Metadata, Warnings, and the stash rewrites use) or
// nothing: TestMain compares the two on every decryption of this package's
// tests (TestFastDecryptMatches, TestFastDecryptGenerated,
// TestGeneratedInterop, the interop tests with the real sops), and
// FuzzFastDecrypt on edited files.

// fastKey is a mapping key seen by the scan: the AAD of its path, its
// parent key (nil at the root) and sops's selection rule for the values
// under it (see Rules.ShouldEncrypt).
type fastKey struct {
	aad    string
	parent *fastKey
	// decided: a key on the path matched a rule; encrypt is its verdict.
	decided, encrypt bool
}

// rootAAD is the AAD of the empty path (crypt.AAD(nil)).
const rootAAD = ":"

func (k *fastKey) pathAAD() string {
	if k == nil {
		return rootAAD
	}
	return k.aad
}

// Item kinds.
const (
	fastValue     = iota // an ENC scalar to decrypt
	fastPlain            // an unencrypted value: only fed to the MAC
	fastComment          // an #ENC[…] comment
	fastEmptyList        // the "[]" of a list that held only comments
	fastCut              // a sops block, removed
)

type fastItem struct {
	kind    uint8
	quote   byte // the scalar's quote ('"' or '\''), 0 if plain
	seqItem bool // the value is a block sequence item
	oneLine bool // something (a comment) follows the value on its line
	// citem: a comment item of a list ("- ENC[…,type:comment]", as sops
	// writes a list's comments); start is then its dash.
	citem bool
	col   int32 // column of the mapping's keys or of the item's dash
	// The text replaced: the scalar with its quotes, or the comment from
	// '#' to the end of its ciphertext.
	start, end int32
	// The ciphertext (for an unencrypted value: its plaintext).
	encOff, encEnd int32
	slot           int32    // the item's entry in the stash
	key            *fastKey // value: the key it is bound to; comment: the last key before it
	next           *fastKey // comment: the first key after it
}

// fastFrame is an open block collection.
type fastFrame struct {
	seq  bool
	col  int
	key  *fastKey // the key holding the collection
	keys []string // a mapping's keys so far, for the duplicate check
	seen map[string]bool
}

type fastScan struct {
	b       []byte
	rules   *Rules
	items   []fastItem
	stack   []fastFrame
	last    *fastKey
	waiting []int // comments waiting for the next key
	work    int
	pend    bool // a key whose value is on the following lines
	pendK   *fastKey
	pendC   int
	values  int        // items that are ENC values
	plain   []plainVal // the unencrypted values, in document order
	// leaves lists every scalar in document order, for the read-back
	// check: an item's index, or leafNull or leafEmpty.
	leaves  []int32
	unit    int // the indentation step, as File.indentUnit finds it
	docUnit int // the first block mapping's column in this document
	seq     []fastSeq
}

// fastSeq counts the items of an open block sequence: one made only of
// comment items was an empty list, and gets its "[]" back after them.
type fastSeq struct {
	items, comments int
	last            int // the index of the last comment item
}

const (
	leafNull  = -1
	leafEmpty = -2
)

// fastMaxDepth bounds the nesting the scan follows (well below MaxDepth).
const fastMaxDepth = 64

// fastBlock finds the sops block of the document b[from:to]: its last
// line at column 0, which must be "sops:" with every line after it
// indented or blank, ending with the version line sops and sv write last.
// It returns where the block starts and the range decryption removes (as
// removeMetadata does).
func fastBlock(b []byte, from, to int) (start, cutLo, cutHi int, ok bool) {
	end := to
	lastContent := -1 // start of the last line with content
	for {
		ls := max(bytes.LastIndexByte(b[:end], '\n')+1, from)
		line := b[ls:end]
		if len(bytes.TrimSpace(line)) > 0 {
			if lastContent < 0 {
				lastContent = ls
			}
			if line[0] != ' ' {
				if string(line) != "sops:" {
					return 0, 0, 0, false
				}
				start = ls
				break
			}
		}
		if ls == from {
			return 0, 0, 0, false
		}
		end = ls - 1
	}
	// The block's last line: "<indent>version: <text>", a plain scalar.
	le := bytes.IndexByte(b[lastContent:to], '\n')
	if le < 0 {
		le = to
	} else {
		le += lastContent
	}
	last := strings.TrimLeft(string(b[lastContent:le]), " ")
	if !strings.HasPrefix(last, "version: ") || strings.ContainsAny(last, "#'\"\t") || strings.HasSuffix(last, " ") {
		return 0, 0, 0, false
	}
	cutLo, cutHi = start, le
	if le < len(b) {
		cutHi++
	} else if start > 0 && b[start-1] == '\n' {
		cutLo--
	}
	return start, cutLo, cutHi, true
}

// blockUnit is the indentation of the sops block at b[start:to] (the
// column of its keys), or 0 if its first line is not a key.
func blockUnit(b []byte, start, to int) int {
	i := start + len("sops:\n")
	for i < to && b[i] == '\n' {
		i++
	}
	u := 0
	for i+u < to && b[i+u] == ' ' {
		u++
	}
	if i+u >= to || !keyByte(b[i+u]) {
		return 0
	}
	return u
}

// fastDocs splits b into its documents at "---" lines: the ranges of their
// text (after the marker). Any other marker or directive declines.
func fastDocs(b []byte) ([][2]int, bool) {
	var docs [][2]int
	from := 0
	if bytes.HasPrefix(b, []byte("---\n")) {
		from = 4
	}
	for pos := from; pos < len(b); {
		le := bytes.IndexByte(b[pos:], '\n')
		if le < 0 {
			le = len(b)
		} else {
			le += pos
		}
		line := b[pos:le]
		if len(line) > 0 && (line[0] == '%' || bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("..."))) {
			if string(line) != "---" || pos == from {
				return nil, false
			}
			docs = append(docs, [2]int{from, pos})
			from = le + 1
		}
		pos = le + 1
	}
	if from >= len(b) {
		return nil, false // an empty last document
	}
	return append(docs, [2]int{from, len(b)}), true
}

// newFastScan starts a scan of b under rules; nil means the fast path
// declines.
func newFastScan(b []byte, rules *Rules) *fastScan {
	if rules.usesComments() {
		return nil
	}
	// Nearly every ciphertext is an item.
	n := bytes.Count(b, []byte(encPrefix))
	return &fastScan{b: b, rules: rules, items: make([]fastItem, 0, n+16)}
}

// scan reads the data of one document, b[from:end] (end is where its sops
// block starts); false declines.
func (s *fastScan) scan(from, end int) bool {
	b := s.b
	s.stack = append(s.stack[:0], fastFrame{})
	// A comment before the first key of a later document is tried under
	// the next key's paths and the root only: the last key before it is in
	// the sops block above.
	s.last = nil
	for pos := from; pos < end; {
		le := bytes.IndexByte(b[pos:end], '\n')
		if le < 0 {
			return false // the sops block follows on a line of its own
		}
		le += pos
		ind := pos
		for ind < le && b[ind] == ' ' {
			ind++
		}
		switch {
		case ind == le:
		case b[ind] == '#':
			if !s.comment(ind, le) {
				return false
			}
		default:
			if !s.line(pos, ind, le) {
				return false
			}
		}
		pos = le + 1
	}
	if s.pend {
		s.pend = false
		s.leaves = append(s.leaves, leafNull)
	}
	for len(s.stack) > 1 {
		s.pop()
	}
	// The sops key is the next key of the comments before it.
	sops := &fastKey{aad: "sops:"}
	for _, i := range s.waiting {
		s.items[i].next = sops
	}
	s.waiting = s.waiting[:0]
	return true
}

// encMarker starts an encrypted comment (see encryptedCommentOffsets).
var encMarker = []byte("#" + encPrefix)

// comment handles a comment from b[at] ('#') to le: an encrypted one
// becomes an item. Comments hold printable ASCII or tabs only, and no
// second marker the node path would take for a comment of its own.
func (s *fastScan) comment(at, le int) bool {
	b := s.b
	for _, c := range b[at:le] {
		if (c < 0x20 && c != '\t') || c > 0x7e {
			return false
		}
	}
	if j := bytes.Index(b[at+1:le], encMarker); j >= 0 {
		return false
	}
	if !bytes.HasPrefix(b[at:le], encMarker) {
		return true
	}
	enc := strings.TrimRight(string(b[at+1:le]), " \t")
	end := int32(at + 1 + len(enc))
	s.items = append(s.items, fastItem{kind: fastComment, start: int32(at), end: end, encOff: int32(at + 1), encEnd: end, key: s.last})
	s.waiting = append(s.waiting, len(s.items)-1)
	return true
}

// line handles a content line: b[ls:le], its first non-blank at ind.
func (s *fastScan) line(ls, ind, le int) bool {
	b := s.b
	col := ind - ls
	item := b[ind] == '-' && (ind+1 == le || b[ind+1] == ' ')
	if s.pend {
		s.pend = false
		if col > s.pendC || col == s.pendC && item {
			if !item && len(s.stack) == 1 && s.docUnit == 0 {
				// findIndentUnit: the first block mapping under a
				// top-level key.
				s.docUnit = col
			}
			if !s.push(fastFrame{seq: item, col: col, key: s.pendK}) {
				return false
			}
			if item {
				s.seq = append(s.seq, fastSeq{})
			}
		} else {
			// The key's value was null: nothing to decrypt or feed to
			// the MAC.
			s.leaves = append(s.leaves, leafNull)
		}
	}
	for {
		top := &s.stack[len(s.stack)-1]
		if top.col > col || top.col == col && top.seq && !item {
			if len(s.stack) == 1 {
				return false
			}
			s.pop()
			continue
		}
		if top.col != col || top.seq != item {
			return false
		}
		break
	}
	if !item {
		return s.entry(ind, le, col)
	}
	// A list item: a value, or a mapping starting on the dash's line.
	s.seq[len(s.seq)-1].items++
	// The item's node, at the depth of the top frame's children, counts
	// towards MaxPathWork as a key and its value do (see entry).
	if s.work += len(s.stack); s.work > MaxPathWork/2 {
		return false
	}
	p := ind + 1
	for p < le && b[p] == ' ' {
		p++
	}
	if p == le || b[p] == '#' || b[p] == '-' {
		return false // a nested block or list under the dash
	}
	if _, _, isKey := s.key(p, le); isKey {
		kcol := p - ls
		if !s.push(fastFrame{col: kcol, key: s.stack[len(s.stack)-1].key}) {
			return false
		}
		return s.entry(p, le, kcol)
	}
	return s.value(s.stack[len(s.stack)-1].key, p, le, col, true)
}

func (s *fastScan) push(f fastFrame) bool {
	if len(s.stack) >= fastMaxDepth {
		return false
	}
	s.stack = append(s.stack, f)
	return true
}

// pop closes the innermost collection.
func (s *fastScan) pop() {
	if s.stack[len(s.stack)-1].seq {
		sq := s.seq[len(s.seq)-1]
		s.seq = s.seq[:len(s.seq)-1]
		if sq.comments > 0 && sq.comments == sq.items {
			// sops made items of the comments of an empty list: the
			// list comes back as the comments, then "[]" on a line of
			// its own at the column of their dashes (as the node path
			// writes it). The item goes right after the last comment
			// item; later items (comments) move up one.
			last := s.items[sq.last]
			at := sq.last + 1
			s.items = append(s.items, fastItem{})
			copy(s.items[at+1:], s.items[at:])
			s.items[at] = fastItem{kind: fastEmptyList, start: last.end, end: last.end, col: last.col}
			for i, w := range s.waiting {
				if w >= at {
					s.waiting[i]++
				}
			}
			for i, l := range s.leaves {
				if int(l) >= at {
					s.leaves[i]++
				}
			}
		}
	}
	s.stack = s.stack[:len(s.stack)-1]
}

// entry handles "key: …" at b[p].
func (s *fastScan) entry(p, le, col int) bool {
	kb, q, ok := s.key(p, le)
	if !ok {
		return false
	}
	f := &s.stack[len(s.stack)-1]
	// The key's path as AAD, which holds the key itself.
	prefix := ""
	if f.key != nil {
		prefix = f.key.aad
	}
	var ab strings.Builder
	ab.Grow(len(prefix) + len(kb) + 1)
	ab.WriteString(prefix)
	ab.Write(kb)
	ab.WriteByte(':')
	aad := ab.String()
	key := aad[len(prefix) : len(aad)-1]
	if len(s.stack) == 1 && key == "sops" {
		return false // a second sops key
	}
	if f.seen != nil {
		if f.seen[key] {
			return false
		}
		f.seen[key] = true
	} else {
		for _, k := range f.keys {
			if k == key {
				return false // a duplicate key: the node path says so
			}
		}
		f.keys = append(f.keys, key)
		if len(f.keys) > 8 {
			f.seen = make(map[string]bool, 16)
			for _, k := range f.keys {
				f.seen[k] = true
			}
			f.keys = nil
		}
	}
	// The work the limits pass counts (MaxPathWork): the key and its
	// value, both at the depth of the top frame's children (the stack
	// holds the root frame too); list items count in line, the sops
	// blocks in prepareFast. The scan declines at half the limit.
	s.work += 2 * len(s.stack)
	if s.work > MaxPathWork/2 {
		return false
	}
	k := &fastKey{aad: aad, parent: f.key}
	if f.key != nil && f.key.decided {
		k.decided, k.encrypt = true, f.key.encrypt
	} else {
		k.decided, k.encrypt = s.rules.keyRule(key)
	}
	s.last = k
	for _, i := range s.waiting {
		s.items[i].next = k
	}
	s.waiting = s.waiting[:0]
	for q < le && s.b[q] == ' ' {
		q++
	}
	if q == le || s.b[q] == '#' {
		if q < le && !s.comment(q, le) {
			return false
		}
		s.pend, s.pendK, s.pendC = true, k, col
		return true
	}
	return s.value(k, q, le, col, false)
}

// key reads a mapping key at b[p]: a plain word or a simple quoted string,
// then ':' and a blank or the end of the line. It returns the key and
// where its ':' ends. isKey says whether b[p] is a key at all.
func (s *fastScan) key(p, le int) (key []byte, after int, isKey bool) {
	b := s.b
	switch b[p] {
	case '"', '\'':
		q := b[p]
		i := p + 1
		var sb []byte
		for ; i < le; i++ {
			c := b[i]
			if c == q {
				if q == '\'' && i+1 < le && b[i+1] == '\'' {
					sb = append(sb, '\'')
					i++
					continue
				}
				break
			}
			if c < 0x20 || c > 0x7e || c == '\\' || c == '#' {
				return nil, 0, false
			}
			sb = append(sb, c)
		}
		if i >= le || i+1 >= le || b[i+1] != ':' || i+2 < le && b[i+2] != ' ' {
			return nil, 0, false
		}
		return sb, i + 2, true
	}
	i := p
	for i < le && keyByte(b[i]) {
		i++
	}
	if i == p || i >= le || b[i] != ':' || i+1 < le && b[i+1] != ' ' || !plainKey(b[p:i]) {
		return nil, 0, false
	}
	return b[p:i], i + 1, true
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/'
}

// plainKey reports a plain key every YAML reader takes for that string: it
// starts with a letter or '_' and is not a word read as a bool or null.
func plainKey(k []byte) bool {
	c := k[0]
	if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
		return false
	}
	if len(k) <= 5 {
		switch strings.ToLower(string(k)) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

// keyRule is one step of ShouldEncrypt's loop over a path's keys.
func (r *Rules) keyRule(k string) (decided, encrypt bool) {
	switch {
	case r.UnencryptedSuffix != "" && strings.HasSuffix(k, r.UnencryptedSuffix):
		return true, false
	case r.EncryptedSuffix != "" && strings.HasSuffix(k, r.EncryptedSuffix):
		return true, true
	case r.unencRe != nil && r.unencRe.MatchString(k):
		return true, false
	case r.encRe != nil && r.encRe.MatchString(k):
		return true, true
	}
	return false, false
}

// should is ShouldEncrypt for the values under k.
func (s *fastScan) should(k *fastKey) bool {
	if k != nil && k.decided {
		return k.encrypt
	}
	r := s.rules
	return r.EncryptedSuffix == "" && r.EncryptedRegex == "" && r.EncryptedCommentRegex == ""
}

// value handles the scalar at b[p] on a line ending at le, bound to k.
func (s *fastScan) value(k *fastKey, p, le, col int, seqItem bool) bool {
	b := s.b
	it := fastItem{kind: fastValue, seqItem: seqItem, col: int32(col), start: int32(p), key: k}
	should := s.should(k)
	var end int
	var typ string
	var pt []byte
	switch q := b[p]; q {
	case '"', '\'':
		if e, ok := encEnd(b, p+1, le); ok && e < le && b[e] == q && should {
			it.quote = q
			it.encOff, it.encEnd, end = int32(p+1), int32(e), e+1
			break
		}
		// An unencrypted string on one line: "" anywhere, others under
		// unencrypted keys only (the node path refuses them elsewhere).
		var ok bool
		if pt, end, ok = quotedString(b, p, le); !ok || should && len(pt) > 0 || bytes.Contains(pt, encMarker) {
			// (A marker in it would be a comment to the node path.)
			return false
		}
		if len(pt) == 0 {
			s.leaves = append(s.leaves, leafEmpty) // adds nothing to the MAC
			return s.rest(end, le)
		}
		it.kind, typ = fastPlain, crypt.TypeStr
	default:
		if e, ok := encEnd(b, p, le); ok && should {
			it.encOff, it.encEnd, end = int32(p), int32(e), e
			break
		}
		// Unencrypted: a plain scalar on one line.
		e := p
		for e < le && !(b[e] == '#' && b[e-1] == ' ') {
			e++
		}
		for e > p && b[e-1] == ' ' {
			e--
		}
		w := string(b[p:e])
		end = e
		if w == "[]" || w == "{}" {
			return s.rest(e, le) // an empty collection: no value
		}
		if !plainScalar(w) {
			return false
		}
		// The value as the node path reads it (plaintext resolves the
		// plain scalar as yaml.v3 does).
		var err error
		if typ, pt, err = plaintext(&yaml.Node{Kind: yaml.ScalarNode, Value: w}); err != nil {
			return false
		}
		if typ == "" {
			s.leaves = append(s.leaves, leafNull)
			return s.rest(e, le)
		}
		if should && !(typ == crypt.TypeStr && len(pt) == 0) {
			return false // a value left in clear: the node path refuses it
		}
		it.kind = fastPlain
	}
	it.end = int32(end)
	i := end
	for i < le && b[i] == ' ' {
		i++
	}
	it.oneLine = i < le
	switch it.kind {
	case fastValue:
		it.slot = int32(s.values)
		s.values++
	case fastPlain:
		it.slot = int32(len(s.plain))
		s.plain = append(s.plain, plainVal{typ, pt})
	}
	if seqItem && it.kind == fastValue && bytes.HasSuffix(b[it.encOff:it.encEnd], []byte(",type:comment]")) {
		it.citem = true
		it.start = int32(bytes.LastIndexByte(b[:p], '\n') + 1 + col)
		sq := &s.seq[len(s.seq)-1]
		sq.comments++
		sq.last = len(s.items)
	}
	s.leaves = append(s.leaves, int32(len(s.items)))
	s.items = append(s.items, it)
	return s.rest(end, le)
}

// plainVal is an unencrypted value as plaintext gives it.
type plainVal struct {
	typ string
	pt  []byte
}

// quotedString reads a quoted string on one line at b[p]: printable ASCII,
// no escapes but a single quote's doubling. It returns the string and
// where the closing quote ends.
func quotedString(b []byte, p, le int) ([]byte, int, bool) {
	q := b[p]
	var out []byte
	for i := p + 1; i < le; i++ {
		c := b[i]
		switch {
		case c == q && q == '\'' && i+1 < le && b[i+1] == '\'':
			out = append(out, c)
			i++
		case c == q:
			return out, i + 1, true
		case c < 0x20 || c > 0x7e || c == '\\' && q == '"':
			return nil, 0, false
		default:
			out = append(out, c)
		}
	}
	return nil, 0, false
}

// plainScalar reports text that yaml.v3 reads as one plain scalar of
// exactly that text in a block mapping or list: printable ASCII, not
// starting with an indicator (but "-" before a non-blank) or a blank, with
// no ": " or " #" inside and no ':' at the end.
func plainScalar(w string) bool {
	if w == "" || w[0] == '-' && (len(w) == 1 || w[1] == ' ') || strings.IndexByte("?:,[]{}#&*!|>'\"%@`< ", w[0]) >= 0 || w[len(w)-1] == ':' || strings.Contains(w, encPrefix) && !strings.HasPrefix(w, encPrefix) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return !strings.Contains(w, ": ") && !strings.Contains(w, " #")
}

// rest checks what follows a value on its line: blanks, then nothing or a
// comment.
func (s *fastScan) rest(end, le int) bool {
	b := s.b
	i := end
	for i < le && b[i] == ' ' {
		i++
	}
	if i == le {
		return true
	}
	if b[i] != '#' || i == end {
		return false
	}
	return s.comment(i, le)
}

// encEnd returns the end of a ciphertext ENC[AES256_GCM,…] at b[p], before
// le.
func encEnd(b []byte, p, le int) (int, bool) {
	if !bytes.HasPrefix(b[p:le], []byte(encPrefix)) {
		return 0, false
	}
	i := p + len(encPrefix)
	for i < le && isENCByte(b[i]) {
		i++
	}
	if i >= le || b[i] != ']' {
		return 0, false
	}
	return i + 1, true
}

// fastMetadata parses a sops block on its own; work is what the limits
// pass counts for it (MaxPathWork), which the node path adds to the file's.
func fastMetadata(block []byte) (_ *Metadata, work int, ok bool) {
	g, work, ok := fastBlockParse(block)
	if !ok {
		return nil, 0, false
	}
	meta, err := g.Metadata()
	if err != nil || meta == nil {
		return nil, 0, false
	}
	return meta, work, true
}

// fastBlockParse parses a sops block on its own (for a later document's,
// only to know that it parses as one: the node path removes it without
// reading it) and measures it as the limits pass does.
func fastBlockParse(block []byte) (_ *File, work int, ok bool) {
	if bytes.Contains(block, encMarker) {
		return nil, 0, false
	}
	g, err := parse(block, false)
	if err != nil || len(g.Docs) != 1 || g.Docs[0].Root == nil || len(g.Docs[0].Root.Content) != 2 {
		return nil, 0, false
	}
	m, err := newLimiter().measure(g.Docs[0].Root, 0)
	if err != nil || m.work > MaxPathWork {
		return nil, 0, false
	}
	return g, int(m.work), true
}

// decrypt decrypts the scanned file with key; ok is false when the node
// path must answer instead.
func (s *fastScan) decrypt(meta *Metadata, key []byte, ignoreMAC bool) (*Decrypted, bool) {
	items := s.items
	// The stash lists the values in document order, then the comments, as
	// the node path does; its ciphertexts are slices of one copy of the
	// file.
	slot := int32(s.values)
	for i := range items {
		if items[i].kind == fastComment {
			items[i].slot = slot
			slot++
		}
	}
	src := string(s.b)
	stash := make([]stashEntry, slot)
	// Each worker decrypts a run of items and writes the plaintext of its
	// part of the file; the parts are joined once the MAC is verified.
	b := s.b
	workers := min(runtime.GOMAXPROCS(0), 8, len(items)/2000+1)
	parts := make([][]byte, workers)
	failed := make([]bool, workers)
	risky := make([]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(items)*w/workers, len(items)*(w+1)/workers
		from, to := 0, len(b)
		if w > 0 {
			from = int(items[lo].start)
		}
		if hi < len(items) {
			to = int(items[hi].start)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := crypt.NewCipher(key)
			if err != nil {
				failed[w] = true
				return
			}
			// The plaintext is about 3/4 of a ciphertext's data, which
			// is what is left after ~100 bytes of fields.
			n := to - from
			for i := lo; i < hi; i++ {
				sz := int(items[i].end - items[i].start)
				if items[i].kind == fastCut {
					n -= sz
				} else {
					n -= sz - max(0, sz-100)*3/4 - 4
				}
			}
			out := make([]byte, 0, max(n, 0))
			pos := from
			for i := lo; i < hi; i++ {
				it := &items[i]
				if it.kind == fastPlain {
					continue
				}
				out = append(out, b[pos:it.start]...)
				var ok, r bool
				if out, ok, r = s.open(c, src, it, stash, out); !ok {
					failed[w] = true
					return
				}
				risky[w] = risky[w] || r
				pos = int(it.end)
			}
			parts[w] = append(out, b[pos:to]...)
		}()
	}
	wg.Wait()
	for _, f := range failed {
		if f {
			return nil, false
		}
	}
	if !ignoreMAC && !s.verifyMAC(meta, key, stash) {
		return nil, false
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	text := make([]byte, 0, n)
	for _, p := range parts {
		text = append(text, p...)
	}
	for _, r := range risky {
		if r && verifyReadBack(text, s.want(stash)) != nil {
			// The node path gives its answer (the same error, or the
			// text it reads back).
			return nil, false
		}
	}
	return &Decrypted{Text: text, Metadata: meta, Key: key, stash: stash}, true
}

// want lists the values the decrypted text must read back as, as the node
// path's verifyReadBack gets them: every scalar but the comment items.
func (s *fastScan) want(stash []stashEntry) []readBack {
	want := make([]readBack, 0, len(s.leaves))
	for _, li := range s.leaves {
		switch li {
		case leafNull:
			want = append(want, readBack{})
		case leafEmpty:
			want = append(want, readBack{typ: crypt.TypeStr, pt: []byte{}})
		default:
			it := &s.items[li]
			switch {
			case it.citem:
			case it.kind == fastPlain:
				v := &s.plain[it.slot]
				want = append(want, readBack{typ: v.typ, pt: v.pt})
			default:
				e := &stash[it.slot]
				want = append(want, readBack{typ: e.typ, pt: e.pt})
			}
		}
	}
	return want
}

// open decrypts one item, fills in its stash entry and appends its
// plaintext spelling to out; ok false declines; risky says that the text
// must be read back (see verifyReadBack).
func (s *fastScan) open(c *crypt.Cipher, src string, it *fastItem, stash []stashEntry, out []byte) (_ []byte, ok, risky bool) {
	switch it.kind {
	case fastCut:
		return out, true, false
	case fastEmptyList:
		out = append(out, '\n')
		for range it.col {
			out = append(out, ' ')
		}
		return append(out, "[]"...), true, true
	case fastComment:
		enc := src[it.encOff:it.encEnd]
		v, err := crypt.ParseValue(enc)
		if err != nil {
			return out, false, false
		}
		// The paths the node path tries (candidates): the last key before
		// the comment and its ancestors, the next key and its ancestors,
		// the root. Only one AAD opens a ciphertext, so the order does not
		// matter; one that opens under none of them declines (the node
		// path may find it under the path derived from yaml.v3's comment
		// attachment, or keep it as it is).
		try := func(aad string) bool {
			pt, typ, err := c.DecryptValue(v, aad)
			if err != nil || typ != crypt.TypeComment {
				return false
			}
			// The node path reads text on several lines back.
			risky = bytes.ContainsAny(pt, "\n\r")
			stash[it.slot] = stashEntry{aad: aad, typ: crypt.TypeComment, pt: pt, enc: enc, off: int(it.start)}
			out = append(append(out, '#'), pt...)
			return true
		}
		for _, k := range [2]*fastKey{it.key, it.next} {
			for ; k != nil; k = k.parent {
				if try(k.aad) {
					return out, true, risky
				}
			}
		}
		ok = try(rootAAD)
		return out, ok, risky
	}
	aad := it.key.pathAAD()
	enc := src[it.encOff:it.encEnd]
	v, err := crypt.ParseValue(enc)
	if err != nil {
		return out, false, false
	}
	pt, typ, err := c.DecryptValue(v, aad)
	if err != nil || (typ == crypt.TypeComment) != it.citem {
		return out, false, false
	}
	start := int(it.encOff)
	if it.quote != 0 {
		start--
	}
	stash[it.slot] = stashEntry{aad, typ, pt, enc, it.quote == 0, src[start:it.end], start - (strings.LastIndexByte(src[:start], '\n') + 1), start}
	if it.citem {
		// The item becomes the comment it was, from its dash on.
		return append(append(out, '#'), pt...), true, true
	}
	style := yaml.Style(0)
	switch it.quote {
	case '"':
		style = yaml.DoubleQuotedStyle
	case '\'':
		style = yaml.SingleQuotedStyle
	}
	ctx := scalarContext{seqItem: it.seqItem, col: int(it.col), unit: s.unit, eol: "\n", oneLine: it.oneLine}
	text, err := render(typ, pt, &yaml.Node{Style: style}, span{}, nil, ctx)
	if err != nil {
		return out, false, false
	}
	// Spellings the node path reads back.
	risky = strings.ContainsAny(text, "\n\r") || strings.HasPrefix(text, "!")
	return append(out, text...), true, risky
}

// verifyMAC checks the MAC over the values in document order, as computeMAC
// does for the node path.
func (s *fastScan) verifyMAC(meta *Metadata, key []byte, stash []stashEntry) bool {
	if meta.MAC == "" {
		return false
	}
	aad, err := crypt.MACAAD(meta.LastModified)
	if err != nil {
		return false
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		return false
	}
	stored, _, err := c.Decrypt(meta.MAC, aad)
	if err != nil {
		return false
	}
	only := meta.Rules.MACOnlyEncrypted
	mac := crypt.NewMAC(only)
	for i := range s.items {
		it := &s.items[i]
		switch it.kind {
		case fastValue:
			if !it.citem {
				e := &stash[it.slot]
				mac.Add(canonical(e.typ, e.pt))
			}
		case fastPlain:
			if !only {
				mac.Add(s.plain[it.slot].pt)
			}
		}
	}
	return mac.Sum() == string(stored)
}

// prepareFast scans b for the fast path: nil when it declines. It reads
// the sops blocks on their own; the data key is not needed yet.
func prepareFast(b []byte) (*fastScan, *Metadata) {
	if len(b) >= 1<<31-1 || bytes.IndexByte(b, '\r') >= 0 {
		return nil, nil
	}
	docs, ok := fastDocs(b)
	if !ok {
		return nil, nil
	}
	var s *fastScan
	var meta *Metadata
	for i, d := range docs {
		start, cutLo, cutHi, ok := fastBlock(b, d[0], d[1])
		if !ok || !asciiOnly(b[start:d[1]]) {
			// yaml.v3 takes NEL, LS and PS for line breaks: in a sops
			// block, where the scan looks for "\n" only, they move its
			// lines (and the node path refuses the file).
			return nil, nil
		}
		var work int
		if i == 0 {
			// The first document's block is the file's metadata; the
			// node path reads no other (but parses them, and removes
			// them all).
			if meta, work, ok = fastMetadata(b[start:d[1]]); !ok {
				return nil, nil
			}
			if s = newFastScan(b, &meta.Rules); s == nil {
				return nil, nil
			}
		} else if _, work, ok = fastBlockParse(b[start:d[1]]); !ok {
			return nil, nil
		}
		if s.work += work; s.work > MaxPathWork/2 {
			return nil, nil
		}
		s.docUnit = 0
		if !s.scan(d[0], start) {
			return nil, nil
		}
		s.items = append(s.items, fastItem{kind: fastCut, start: int32(cutLo), end: int32(cutHi)})
		if s.unit == 0 {
			// findIndentUnit: the first block mapping under a top-level
			// key, the sops block's if no other, in the first document
			// where it is at most 8 columns in.
			u := s.docUnit
			if u == 0 {
				if u = blockUnit(b, start, d[1]); u == 0 {
					return nil, nil
				}
			}
			if u <= 8 {
				s.unit = u
			}
		}
	}
	if s.unit == 0 {
		s.unit = 2
	}
	return s, meta
}

// decryptFast is Decrypt's fast path. done is false when the node path must
// answer instead; key is then the data key if it was opened already.
func decryptFast(b []byte, opt DecryptOptions) (out *Decrypted, key []byte, done bool, err error) {
	s, meta := prepareFast(b)
	if s == nil {
		return nil, nil, false, nil
	}
	key, err = opt.Keys.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		// The node path reports a file it cannot parse before asking for
		// keys: so does this one.
		if _, _, perr := parseEncrypted(b, true); perr != nil {
			return nil, nil, true, perr
		}
		return nil, nil, true, err
	}
	out, ok := s.decrypt(meta, key, opt.IgnoreMAC)
	if !ok {
		return nil, key, false, nil
	}
	return out, key, true, nil
}

// asciiOnly reports b holds no byte above 0x7f.
func asciiOnly(b []byte) bool {
	for _, c := range b {
		if c > 0x7f {
			return false
		}
	}
	return true
}
