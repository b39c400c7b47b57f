package yamlwalk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// Aliases of mappings and sequences that hold encrypted values.
//
// sops expands every alias and binds each copy's values to the alias's own
// path, so an alias "*image" of an encrypted mapping is a copy sops must be
// able to decrypt under the alias's path. Encrypt writes such an alias as a
// flow collection of its own, encrypted under the alias's path and tagged
// with the anchor's name (!sv/alias:image {…}, a tag sops ignores);
// decryption turns a copy that still equals its anchor back into the alias.

// errNestedAlias: an aliased collection that itself holds aliases is left as
// an alias (with a warning), not copied.
var errNestedAlias = errors.New("holds an alias")

// materializeCollections replaces each alias of a collection holding
// encrypted values with its encrypted copy. It returns the edits and the
// aliases it could not copy (they keep sv's warning).
func (f *File) materializeCollections(c *crypt.Cipher, rules Rules, states map[*yaml.Node]*leafState, stash Stash, res *Result) ([]edit, []aliasRef, error) {
	var edits []edit
	var left []aliasRef
	for _, a := range f.aliases {
		if !containsEncrypted(a.target, states) {
			continue
		}
		text, err := f.copyText(a.target, a.keys, c, rules, states, stash, res)
		if errors.Is(err, errNestedAlias) {
			left = append(left, a)
			continue
		}
		if err != nil {
			return nil, nil, &ValueError{Path: a.path, Line: a.node.Line, Err: err}
		}
		off, err := f.src.offset(a.node.Line, a.node.Column)
		if err != nil {
			return nil, nil, err
		}
		edits = append(edits, edit{off, off + 1 + len(a.node.Value), aliasTag + a.node.Value + " " + text})
	}
	return edits, left, nil
}

// copyText writes n as a one-line flow collection whose values are encrypted
// under keys, the alias's path, as the rules select them there.
func (f *File) copyText(n *yaml.Node, keys []string, c *crypt.Cipher, rules Rules, states map[*yaml.Node]*leafState, stash Stash, res *Result) (string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			sub := append(keys[:len(keys):len(keys)], k.Value)
			t, err := f.copyText(n.Content[i+1], sub, c, rules, states, stash, res)
			if err != nil {
				return "", err
			}
			parts = append(parts, keyText(k.Value)+": "+t)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			t, err := f.copyText(item, keys, c, rules, states, stash, res)
			if err != nil {
				return "", err
			}
			parts = append(parts, t)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case yaml.ScalarNode:
		st := states[n]
		if st == nil {
			return "", errNestedAlias
		}
		if st.typ == "" {
			return "null", nil
		}
		if !rules.ShouldEncrypt(keys, nil) || st.typ == crypt.TypeStr && len(st.pt) == 0 {
			return spellValue(st.typ, st.pt, scalarContext{flow: true})
		}
		aad := crypt.AAD(keys)
		enc := ""
		if stash != nil {
			enc = stash(aad, st.typ, st.pt)
		}
		if enc == "" {
			var err error
			if enc, err = c.Encrypt(st.pt, st.typ, aad, nil); err != nil {
				return "", err
			}
		}
		res.Encrypted++
		return "'" + enc + "'", nil
	}
	return "", errNestedAlias
}

// aliasCopy is a copy found while decrypting.
type aliasCopy struct {
	node   *yaml.Node
	name   string
	anchor *yaml.Node // nil if no anchor of that name precedes it
	edits  []edit     // the decrypted values inside it, if it stays a copy
}

// findAliasCopies maps every scalar inside a copy to its copy.
func (f *File) findAliasCopies() map[*yaml.Node]*aliasCopy {
	var out map[*yaml.Node]*aliasCopy
	anchors := map[string]*yaml.Node{}
	var inside func(n *yaml.Node, cp *aliasCopy)
	inside = func(n *yaml.Node, cp *aliasCopy) {
		if n.Kind == yaml.ScalarNode {
			out[n] = cp
		}
		for _, ch := range n.Content {
			inside(ch, cp)
		}
	}
	var scan func(n *yaml.Node)
	scan = func(n *yaml.Node) {
		if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && strings.HasPrefix(n.Tag, aliasTag) {
			if out == nil {
				out = map[*yaml.Node]*aliasCopy{}
			}
			name := strings.TrimPrefix(n.Tag, aliasTag)
			inside(n, &aliasCopy{node: n, name: name, anchor: anchors[name]})
			return
		}
		if n.Anchor != "" {
			anchors[n.Anchor] = n
		}
		for _, ch := range n.Content {
			scan(ch)
		}
	}
	for _, d := range f.Docs {
		if d.Root != nil {
			scan(d.Root)
		}
	}
	return out
}

// sameTree reports whether a copy holds exactly its anchor's values.
func sameTree(a, b *yaml.Node, states map[*yaml.Node]*leafState) bool {
	if a.Kind == yaml.AliasNode {
		a = a.Alias
	}
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		sa, sb := states[a], states[b]
		if sa == nil || sb == nil {
			return false
		}
		return sa.typ == sb.typ && string(sa.pt) == string(sb.pt)
	case yaml.MappingNode:
		for i := 0; i+1 < len(a.Content); i += 2 {
			if a.Content[i].Value != b.Content[i].Value || !sameTree(a.Content[i+1], b.Content[i+1], states) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i := range a.Content {
			if !sameTree(a.Content[i], b.Content[i], states) {
				return false
			}
		}
	}
	return true
}

// collapseCopies turns each copy that equals its anchor back into the alias
// ("*name") and returns which ones it collapsed; a copy changed on its own
// (by sops, say) stays a collection with its values decrypted, untagged.
func (f *File) collapseCopies(copies map[*yaml.Node]*aliasCopy, states map[*yaml.Node]*leafState) ([]edit, map[*aliasCopy]bool, error) {
	if len(copies) == 0 {
		return nil, nil, nil
	}
	seen := map[*aliasCopy]bool{}
	collapsed := map[*aliasCopy]bool{}
	var edits []edit
	for _, cp := range copies {
		if seen[cp] {
			continue
		}
		seen[cp] = true
		start, err := f.src.offset(cp.node.Line, cp.node.Column)
		if err != nil {
			return nil, nil, err
		}
		if cp.anchor != nil && sameTree(cp.anchor, cp.node, states) {
			end, err := f.nodeEnd(cp.node, cp.node.Column-1, true)
			if err != nil {
				return nil, nil, &MetadataError{"cannot locate an alias copy"}
			}
			edits = append(edits, edit{start, end, "*" + cp.name})
			collapsed[cp] = true
			continue
		}
		edits = append(edits, cp.edits...)
		edits = append(edits, edit{start, start + len(cp.node.Tag) + 1, ""})
	}
	return edits, collapsed, nil
}

// aliasWarnings names aliases that point at encrypted values: sops expands
// aliases and binds each copy to the alias's path, so it cannot decrypt them.
func (f *File) aliasWarnings(states map[*yaml.Node]*leafState) []string {
	var out []string
	for _, a := range f.aliases {
		if containsEncrypted(a.target, states) {
			out = append(out, fmt.Sprintf("%s is an alias of an encrypted value: sv reads it, but sops cannot (it binds each alias copy to its own path)", a.path))
		}
	}
	return out
}

func containsEncrypted(n *yaml.Node, states map[*yaml.Node]*leafState) bool {
	if st := states[n]; st != nil && st.encrypted {
		return true
	}
	for _, c := range n.Content {
		if containsEncrypted(c, states) {
			return true
		}
	}
	return n.Kind == yaml.AliasNode && containsEncrypted(n.Alias, states)
}

// aliasTag marks an alias of an encrypted scalar that sv wrote out as a
// value of its own: sops expands aliases and binds each copy to the alias's
// path, so "*name" would not decrypt for sops. The copy is encrypted under
// the alias's path and tagged with the anchor's name, which sops ignores;
// decryption turns it back into "*name".
const aliasTag = "!sv/alias:"

func isAliasCopy(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Tag, aliasTag) && crypt.IsENC(n.Value)
}

func (f *File) materializeAlias(l *Leaf, c *crypt.Cipher, rules Rules, states map[*yaml.Node]*leafState, stash Stash, edits *[]edit, res *Result) error {
	target := states[l.Node.Alias]
	if target == nil || !target.encrypted || !rules.ShouldEncrypt(l.Keys, nil) {
		return nil
	}
	aad := crypt.AAD(l.Keys)
	enc := ""
	if stash != nil {
		enc = stash(aad, target.typ, target.pt)
	}
	if enc == "" {
		var err error
		if enc, err = c.Encrypt(target.pt, target.typ, aad, nil); err != nil {
			return err
		}
	}
	off, err := f.src.offset(l.Node.Line, l.Node.Column)
	if err != nil {
		return err
	}
	if l.Flow {
		enc = "'" + enc + "'"
	}
	states[l.Node] = &leafState{typ: target.typ, pt: target.pt, encrypted: true, isNew: true}
	res.Encrypted++
	*edits = append(*edits, edit{off, off + 1 + len(l.Node.Value), aliasTag + l.Node.Value + " " + enc})
	return nil
}
