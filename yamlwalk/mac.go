package yamlwalk

import (
	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// computeMAC hashes the plaintext of every non-null leaf in document order,
// following aliases as sops does. skipNew leaves out values encrypted by the
// current call (to check the MAC a file had before).
func (f *File) computeMAC(onlyEncrypted bool, states map[*yaml.Node]*leafState, skipNew bool) (string, error) {
	mac := crypt.NewMAC(onlyEncrypted)
	add := func(st *leafState) {
		if st == nil || st.typ == "" || st.typ == crypt.TypeComment || skipNew && st.isNew || onlyEncrypted && !st.encrypted {
			return
		}
		mac.Add(st.pt)
	}
	// The same order as walk(true, …), without building paths.
	var rec func(n *yaml.Node)
	rec = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			add(states[n])
		case yaml.AliasNode:
			if st := states[n]; st != nil {
				add(st) // an alias sv wrote out as a value of its own
			} else {
				rec(n.Alias)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				rec(n.Content[i])
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				rec(c)
			}
		}
	}
	for _, d := range f.Docs {
		if d.Root == nil {
			continue
		}
		for i := 0; i+1 < len(d.Root.Content); i += 2 {
			if d.Root.Content[i].Value != "sops" {
				rec(d.Root.Content[i+1])
			}
		}
	}
	return mac.Sum(), nil
}

func (f *File) verifyMAC(c *crypt.Cipher, meta *Metadata, states map[*yaml.Node]*leafState, skipNew bool) error {
	if meta.MAC == "" {
		return &MACError{Missing: true}
	}
	aad, err := crypt.MACAAD(meta.LastModified)
	if err != nil {
		return &MetadataError{"lastmodified is not an RFC 3339 time"}
	}
	stored, _, err := c.Decrypt(meta.MAC, aad)
	if err != nil {
		return &MACError{}
	}
	got, err := f.computeMAC(meta.Rules.MACOnlyEncrypted, states, skipNew)
	if err != nil {
		return err
	}
	if got != string(stored) {
		return &MACError{}
	}
	return nil
}
