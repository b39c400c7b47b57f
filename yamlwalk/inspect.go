package yamlwalk

import (
	"errors"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// LeafInfo describes one value of a file without decrypting it.
type LeafInfo struct {
	Path  string   // display path, e.g. db.hosts[0].name
	Keys  []string // mapping keys from the root (the AAD path)
	Line  int
	Doc   int
	Null  bool // null and "" values are never encrypted
	Empty bool
	// Encrypted is true for an ENC[...] value the rules select.
	Encrypted bool
	// ShouldEncrypt is what the rules say for this path.
	ShouldEncrypt bool
	// Ciphertext is the ENC string of an encrypted value.
	Ciphertext string
}

// Plaintext reports a value the rules select that is not encrypted.
func (l LeafInfo) Plaintext() bool {
	return l.ShouldEncrypt && !l.Encrypted && !l.Null && !l.Empty
}

// Info is what Inspect finds.
type Info struct {
	Metadata *Metadata // nil for a file without sops metadata
	Leaves   []LeafInfo
}

// Inspect lists a file's values and whether each is encrypted, using the
// file's own rules, or rules (compiled here) for a file without metadata.
func Inspect(src []byte, rules Rules) (*Info, error) {
	f, err := Parse(src)
	if err != nil {
		return nil, err
	}
	meta, err := f.Metadata()
	if err != nil {
		return nil, err
	}
	info := &Info{Metadata: meta}
	if meta != nil {
		rules = meta.Rules
	} else if err := rules.Compile(); err != nil {
		return nil, err
	}
	err = f.walkWith(false, rules.usesComments(), func(l *Leaf) error {
		if l.Node.Kind == yaml.AliasNode {
			return nil
		}
		li := LeafInfo{Path: l.Path, Keys: l.Keys, Line: l.Node.Line, Doc: l.Doc, ShouldEncrypt: rules.ShouldEncrypt(l.Keys, l.Comments)}
		switch {
		case l.Node.ShortTag() == "!!null":
			li.Null = true
		case l.Node.Value == "" && l.Node.ShortTag() == "!!str":
			li.Empty = true
		case li.ShouldEncrypt && (crypt.IsENC(l.Node.Value) && l.Node.ShortTag() == "!!str" || isAliasCopy(l.Node)):
			li.Encrypted, li.Ciphertext = true, strings.TrimRight(l.Node.Value, "\n")
		}
		info.Leaves = append(info.Leaves, li)
		return nil
	})
	return info, err
}

// ReplaceMetadata rewrites the sops block of every document with m (for
// example new key groups after updatekeys), leaving the values as they are.
func ReplaceMetadata(src []byte, m *Metadata) ([]byte, error) {
	f, _, err := parseEncrypted(src, false)
	if err != nil {
		return nil, err
	}
	edits, err := f.removeMetadata()
	if err != nil {
		return nil, err
	}
	// Insert the new block where the old one started.
	unit := strings.Repeat(" ", f.indentUnit())
	for i, d := range f.sopsDocs() {
		base := strings.Repeat(" ", d.Root.Column-1)
		block, err := renderMetadata(m, base, unit, f.eol())
		if err != nil {
			return nil, err
		}
		e := &edits[i]
		if e.end == len(f.src.b) && (e.end == 0 || f.src.b[e.end-1] != '\n') {
			block = strings.TrimSuffix(block, f.eol())
			if e.start < f.src.lineStart(mustOffset(f.src, d.sopsKey)) {
				block = f.eol() + block
			}
		}
		e.text = block
	}
	return applyEdits(f.src.b, edits)
}

func (f *File) sopsDocs() []*Doc {
	var out []*Doc
	for _, d := range f.Docs {
		if d.sopsKey != nil {
			out = append(out, d)
		}
	}
	return out
}

// Reencrypt encrypts plaintext (typically an edited version of prev.Text)
// under prev's data key and key groups. Values whose path, type and
// plaintext are unchanged keep their exact ciphertext; only changed or new
// values get new ciphertext. The result has a fresh MAC and lastmodified.
func Reencrypt(plaintext []byte, prev *Decrypted, opt EncryptOptions) (*Result, error) {
	if prev == nil || prev.Metadata == nil {
		return nil, errors.New("no previous encryption to reuse")
	}
	f, err := Parse(plaintext)
	if err != nil {
		return nil, err
	}
	if m, err := f.Metadata(); err != nil || m != nil {
		return nil, &MetadataError{"the plaintext must not contain a sops block"}
	}
	opt.Rules = prev.Metadata.Rules
	opt.Stash = prev.Stash()
	opt.plainENC = prev.plainENC
	opt.layoutOf = prev.layoutOf
	opt.prevComments = prev.commentsByText
	opt.dataKey = prev.Key
	opt.groups = prev.Metadata
	return Encrypt(plaintext, opt)
}
