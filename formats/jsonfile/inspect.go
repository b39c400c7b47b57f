package jsonfile

import (
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Inspect lists a file's values and whether each is encrypted, with the
// file's own rules, or rules for a file without metadata.
func Inspect(b []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	root, meta, _, err := read(b)
	if err != nil {
		return nil, err
	}
	if rules, err = sopsfile.RulesOf(meta, rules); err != nil {
		return nil, err
	}
	info := &yamlwalk.Info{Metadata: meta}
	err = walk(root, func(l leaf) error {
		n := l.n
		li := yamlwalk.LeafInfo{Path: l.path.String(), Keys: l.keys, Line: lineAt(b, n.start), Null: n.kind == kNull,
			Empty: n.kind == kString && n.str == "", ShouldEncrypt: rules.ShouldEncrypt(l.keys, nil)}
		if n.kind == kString && crypt.IsENC(n.str) && li.ShouldEncrypt {
			li.Encrypted, li.Ciphertext = true, n.str
		}
		info.Leaves = append(info.Leaves, li)
		return nil
	})
	return info, err
}

// ReplaceMetadata writes m in place of the file's sops object, in the
// file's layout; values are untouched.
func ReplaceMetadata(b []byte, m *yamlwalk.Metadata) ([]byte, error) {
	root, err := parse(b)
	if err != nil {
		return nil, err
	}
	idx, err := sopsIndex(root)
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		return nil, yamlwalk.ErrNotEncrypted
	}
	tree, err := sopsfile.MetadataTree(m)
	if err != nil {
		return nil, err
	}
	lay := layoutOf(root, b)
	var sb strings.Builder
	sopsfile.WriteJSON(&sb, tree, lay, 1)
	v := root.members[idx].value
	out := applyEdits(b, []edit{{v.start, v.end, sb.String()}})
	if _, err := parse(out); err != nil {
		return nil, fmt.Errorf("the rewritten file does not parse (please report this): %w", err)
	}
	return out, nil
}
