// Package audit reads the git history of SOPS-encrypted YAML files and
// tells, without any key, which values changed in which commit.
//
// It relies on a property of sv (and of sops edit/set): a value that does
// not change keeps its exact ciphertext, so two versions of a file can be
// compared value by value, by YAML path, by comparing ciphertexts. A data
// key rotation (or a fresh sops encrypt) re-encrypts every value; it is
// recognised as one event. Nothing here decrypts anything.
package audit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/keygroups"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Kind names what happened to a file or a value between two versions.
type Kind string

// Event kinds. Per-value kinds carry a Path; the others concern the file.
const (
	// Added: an encrypted value appeared at Path.
	Added Kind = "added"
	// Changed: the value at Path has a different ciphertext.
	Changed Kind = "changed"
	// Removed: the value at Path is gone.
	Removed Kind = "removed"
	// Encrypted: the value at Path was in plaintext and is now encrypted.
	Encrypted Kind = "encrypted"
	// Plaintext: a value the file's rules say must be encrypted is in
	// plaintext at Path (it is readable in this commit).
	Plaintext Kind = "plaintext"
	// Recipients: age recipients were added (RecipientsAdded) or removed
	// (RecipientsRemoved), or the key groups or threshold changed
	// (Detail), as keygroups.Compare tells.
	Recipients Kind = "recipients"
	// Rotated: every value was re-encrypted under a new data key (sv
	// rotate, sops rotate, or a fresh sops encrypt); Values counts them.
	Rotated Kind = "rotated"
	// Unencrypted: this version of the file has no sops metadata; Values
	// counts the values in plaintext.
	Unencrypted Kind = "unencrypted"
	// Deleted: the file was deleted; Values counts its encrypted values.
	Deleted Kind = "deleted"
	// Horizon: the first commit of a shallow clone; the file's earlier
	// history is not available. Values counts the values present.
	Horizon Kind = "horizon"
	// Invalid: this version cannot be read (Detail says why, never with a
	// value).
	Invalid Kind = "invalid"
)

// Event is one thing that happened to a file in a commit.
type Event struct {
	Kind Kind
	// Path is the value's YAML path (db.password, hosts[0].name) for the
	// per-value kinds.
	Path string
	// Doc is the number of the YAML document holding Path, from 1, in files
	// with several documents; 0 in single-document files.
	Doc               int
	RecipientsAdded   []string
	RecipientsRemoved []string
	// Values is the number of values a file-level event concerns.
	Values int
	// Detail explains an Invalid event, and a Recipients event's change
	// of key groups or threshold.
	Detail string
}

// String describes the event in one line, e.g. "db.password changed".
func (e Event) String() string {
	p := e.Path
	if e.Doc > 0 {
		p += fmt.Sprintf(" (document %d)", e.Doc)
	}
	switch e.Kind {
	case Added, Changed, Removed:
		return p + " " + string(e.Kind)
	case Encrypted:
		return p + " encrypted (was in plaintext)"
	case Plaintext:
		return p + " in PLAINTEXT (should be encrypted)"
	case Recipients:
		var parts []string
		for _, r := range e.RecipientsAdded {
			parts = append(parts, "+"+crypt.ShortRecipient(r))
		}
		for _, r := range e.RecipientsRemoved {
			parts = append(parts, "-"+crypt.ShortRecipient(r))
		}
		if e.Detail != "" {
			parts = append(parts, e.Detail)
		}
		return "recipients: " + strings.Join(parts, " ")
	case Rotated:
		return fmt.Sprintf("data key rotated (all %d %s re-encrypted)", e.Values, plural(e.Values, "value", "values"))
	case Unencrypted:
		return fmt.Sprintf("NOT ENCRYPTED in this commit (%d %s in plaintext)", e.Values, plural(e.Values, "value", "values"))
	case Deleted:
		return fmt.Sprintf("file deleted (%d encrypted %s)", e.Values, plural(e.Values, "value", "values"))
	case Horizon:
		return fmt.Sprintf("history starts here (shallow clone): %d %s present", e.Values, plural(e.Values, "value", "values"))
	case Invalid:
		return "cannot read this version: " + e.Detail
	}
	return string(e.Kind)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// valueKey identifies a value within a file version.
type valueKey struct {
	doc  int
	path string
}

// digest stands for a ciphertext: versions are compared, never read.
type digest [16]byte

func digestOf(s string) digest {
	h := sha256.Sum256([]byte(s))
	var d digest
	copy(d[:], h[:])
	return d
}

// Snapshot is what one version of a file looks like to the audit: the
// ciphertext (as a digest) of each encrypted value by YAML path, the
// values left in plaintext that should be encrypted, and the recipients
// with their wrapped data keys.
type Snapshot struct {
	*shape
	cipher map[valueKey]digest
}

// shape is the part of a version that the YAML parser finds: which
// ciphertext is which value, the plaintext values and the recipients. Most
// commits change only ciphertexts (and lastmodified), so a walk parses each
// shape once and reuses it for every version that has it.
type shape struct {
	encrypted  bool
	err        error
	slots      []valueKey // per ciphertext in the text, in order; doc -1: not a value
	order      []valueKey // encrypted values in document order
	plainOrder []valueKey
	plain      map[valueKey]bool // values the rules select that are in plaintext
	groups     [][]string        // age recipients, key group by key group
	threshold  int               // shamir_threshold as written
	wrapped    map[string]digest // recipient (keygroups.Norm) -> its enc entry
	fixed      map[valueKey]digest
}

var notValue = valueKey{doc: -1}

// NewSnapshot inspects src (no key needed). rules select the values that
// must be encrypted in a version without sops metadata; an encrypted
// version uses its own. A version that cannot be read gives a snapshot
// whose Diff reports Invalid.
func NewSnapshot(src []byte, rules yamlwalk.Rules) *Snapshot {
	return NewSnapshotFile("", src, rules)
}

// NewSnapshotFile is NewSnapshot for a version of the file at path, read
// with InspectFile (so a JSON or dotenv file is read as one).
func NewSnapshotFile(path string, src []byte, rules yamlwalk.Rules) *Snapshot {
	text, digests, ok := shrink(src)
	if !ok {
		sh, digests := newShape(path, src, rules, true)
		return sh.snapshot(digests)
	}
	sh, _ := newShape(path, text, rules, false)
	return sh.snapshot(digests)
}

// InspectFile and EncryptedFile let the caller teach the audit file
// formats other than YAML (sv sets them to read JSON, dotenv, INI and
// binary files by name and content; path is "" when unknown). Both default
// to YAML.
var (
	InspectFile = func(path string, text []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
		return yamlwalk.Inspect(text, rules)
	}
	EncryptedFile = func(path string, b []byte) bool { return yamlwalk.IsEncrypted(b) }
)

// snapshot fills the shape with one version's ciphertexts.
func (sh *shape) snapshot(digests []digest) *Snapshot {
	s := &Snapshot{shape: sh, cipher: make(map[valueKey]digest, len(sh.order))}
	for k, d := range sh.fixed {
		s.cipher[k] = d
	}
	for i, k := range sh.slots {
		if k != notValue && i < len(digests) {
			s.cipher[k] = digests[i]
		}
	}
	return s
}

// newShape parses text, in which ciphertext number i has been replaced by
// "ENC[AES256_GCM,~i,TYPE]"; or, with raw, text as it is, numbering the
// ciphertexts of values in order and returning their digests.
func newShape(path string, text []byte, rules yamlwalk.Rules, raw bool) (*shape, []digest) {
	sh := &shape{plain: map[valueKey]bool{}, wrapped: map[string]digest{}, fixed: map[valueKey]digest{}}
	var digests []digest
	info, err := InspectFile(path, text, rules)
	if err != nil {
		if !errors.Is(err, yamlwalk.ErrEmpty) {
			sh.err = err
		}
		return sh, nil
	}
	if m := info.Metadata; m != nil {
		sh.encrypted = true
		sh.threshold = m.ShamirThreshold
		for _, g := range m.KeyGroups {
			var rs []string
			for _, k := range g.Age {
				r := strings.TrimSpace(k.Recipient)
				rs = append(rs, r)
				sh.wrapped[keygroups.Norm(r)] = digestOf(k.Enc)
			}
			sh.groups = append(sh.groups, rs)
		}
	}
	seen := map[valueKey]bool{}
	for _, l := range info.Leaves {
		k := valueKey{doc: l.Doc, path: l.Path}
		switch {
		case l.Encrypted:
			// Encrypted comments inside sequences (sops writes them as
			// items) are comments, not values.
			i, typ, placeholder := yamlwalk.PlaceholderIndex(l.Ciphertext)
			if !placeholder && strings.HasSuffix(l.Ciphertext, ",type:comment]") {
				typ = "comment"
			}
			if typ == "comment" {
				continue
			}
			switch {
			case raw:
				i = len(digests)
				digests = append(digests, digestOf(l.Ciphertext))
			case !placeholder:
				// Not a ciphertext shrink recognised (malformed): it is
				// part of the shape's text, so it stands for itself.
				sh.fixed[k] = digestOf(l.Ciphertext)
				i = -1
			}
			for i >= 0 && len(sh.slots) <= i {
				sh.slots = append(sh.slots, notValue)
			}
			if i >= 0 {
				sh.slots[i] = k
			}
			if !seen[k] {
				seen[k] = true
				sh.order = append(sh.order, k)
			}
		case l.Plaintext():
			if !sh.plain[k] {
				sh.plainOrder = append(sh.plainOrder, k)
			}
			sh.plain[k] = true
		}
	}
	return sh, digests
}

// IsEncrypted reports whether the version has sops metadata.
func (s *Snapshot) IsEncrypted() bool { return s != nil && s.encrypted && s.err == nil }

// Values is the number of encrypted values.
func (s *Snapshot) Values() int {
	if s == nil {
		return 0
	}
	return len(s.order)
}

func (s *Snapshot) usable() bool { return s != nil && s.err == nil }

func pathEvent(kind Kind, k valueKey) Event {
	e := Event{Kind: kind, Path: k.path}
	if k.doc > 0 {
		e.Doc = k.doc + 1
	}
	return e
}

// Diff classifies the change from old to new. old is nil for a file that
// did not exist before. Values are compared by document and YAML path, not
// by line, so a rewrite that only changes the layout (as sops does) shows
// only the values whose ciphertext differs.
func Diff(old, new *Snapshot) []Event {
	if new.err != nil {
		return []Event{{Kind: Invalid, Detail: new.err.Error()}}
	}
	if !old.usable() {
		old = nil
	}
	if !new.encrypted {
		if len(new.plain) > 0 && (old == nil || old.encrypted) {
			return []Event{{Kind: Unencrypted, Values: len(new.plain)}}
		}
		return nil
	}
	var file, values []Event
	if old != nil && old.encrypted {
		if d := keygroups.Compare(old.groups, old.threshold, new.groups, new.threshold); !d.Match() {
			file = append(file, Event{Kind: Recipients, RecipientsAdded: d.Added, RecipientsRemoved: d.Removed, Detail: groupChange(d)})
		}
	}
	common, changed := 0, 0
	for _, k := range new.order {
		c := new.cipher[k]
		switch oc, ok := oldCipher(old, k); {
		case ok:
			common++
			if oc != c {
				changed++
				values = append(values, pathEvent(Changed, k))
			}
		case old != nil && old.plain[k]:
			values = append(values, pathEvent(Encrypted, k))
		default:
			values = append(values, pathEvent(Added, k))
		}
	}
	for _, k := range new.plainOrder {
		if old == nil || !old.plain[k] {
			values = append(values, pathEvent(Plaintext, k))
		}
	}
	if old != nil {
		for _, k := range old.order {
			if _, ok := new.cipher[k]; !ok && !new.plain[k] {
				values = append(values, pathEvent(Removed, k))
			}
		}
	}
	if common > 0 && changed == common && newDataKey(old, new) {
		file = append([]Event{{Kind: Rotated, Values: common}}, file...)
		values = slices.DeleteFunc(values, func(e Event) bool { return e.Kind == Changed })
	}
	return append(file, values...)
}

func oldCipher(old *Snapshot, k valueKey) (digest, bool) {
	if old == nil {
		return digest{}, false
	}
	c, ok := old.cipher[k]
	return c, ok
}

// newDataKey reports whether the wrapped data keys changed: a recipient
// present in both versions has a different enc entry, or no recipient is
// in both. (Re-wrapping alone, as updatekeys does, also changes them; it
// is a rotation only when every value was re-encrypted too.)
func newDataKey(old, new *Snapshot) bool {
	if old == nil || !old.encrypted {
		return false
	}
	shared := false
	for r, w := range new.wrapped {
		if ow, ok := old.wrapped[r]; ok {
			shared = true
			if ow != w {
				return true
			}
		}
	}
	return !shared
}

// FilterPath keeps the events for the value at path (a canonical
// ValuePath string: db.password, a["b.c"]) or below it, and the events
// about the whole file (a rotation or recipient change concerns every
// value).
func FilterPath(evs []Event, path string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Path == "" || underPath(e.Path, path) {
			out = append(out, e)
		}
	}
	return out
}

func underPath(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	rest := p[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// groupChange words a change of key groups or threshold ("" for none
// beyond recipients added or removed).
func groupChange(d keygroups.Diff) string {
	layout := func(groups, needed int) string {
		if groups <= 1 {
			return "1 key group"
		}
		return fmt.Sprintf("%d of %d key groups needed", needed, groups)
	}
	switch {
	case d.GroupsA != d.GroupsB || d.ThresholdChanged:
		return fmt.Sprintf("%s (was %s)", layout(d.GroupsB, d.ThresholdB), layout(d.GroupsA, d.ThresholdA))
	case d.GroupsChanged:
		return "recipients moved between key groups"
	}
	return ""
}

// mergeDiff classifies a merge: an event counts only if it happened
// relative to every parent (a value taken unchanged from one side is not a
// change of the merge).
func mergeDiff(olds []*Snapshot, new *Snapshot) []Event {
	evs := Diff(olds[0], new)
	for _, o := range olds[1:] {
		other := Diff(o, new)
		evs = slices.DeleteFunc(evs, func(e Event) bool {
			return !slices.ContainsFunc(other, func(x Event) bool { return sameEvent(e, x) })
		})
	}
	return evs
}

// sameEvent compares events by kind and place (recipient lists are the
// first parent's).
func sameEvent(a, b Event) bool {
	return a.Kind == b.Kind && a.Path == b.Path && a.Doc == b.Doc
}

// shrink is yamlwalk.ShrinkCiphertexts with the digests of the originals:
// the YAML parser, whose time goes mostly into scanning long base64
// scalars, has far less to read, and versions that differ only in
// ciphertexts have the same text (and so share one parsed shape).
func shrink(b []byte) ([]byte, []digest, bool) {
	text, spans, ok := yamlwalk.ShrinkCiphertexts(b)
	if !ok {
		return b, nil, false
	}
	digests := make([]digest, len(spans))
	for i, r := range spans {
		digests[i] = digestOf(string(b[r[0]:r[1]]))
	}
	return text, digests, true
}
