package yamlwalk

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// FormatVersion is the sops version sv's files are written as: the
// version of the format sv implements, checked against that sops release.
const FormatVersion = "3.13.3"

// Metadata is the sops: block.
type Metadata struct {
	KeyGroups       []crypt.KeyGroup
	ShamirThreshold int
	// Grouped is true when keys are listed under key_groups (several
	// groups) rather than at the top level.
	Grouped      bool
	LastModified string
	MAC          string
	Rules        Rules
	Version      string
}

// Recipients lists every age recipient of every key group.
func (m *Metadata) Recipients() []string {
	var out []string
	for _, g := range m.KeyGroups {
		for _, k := range g.Age {
			out = append(out, k.Recipient)
		}
	}
	return out
}

// MetadataError is a sops: block sv cannot use.
type MetadataError struct{ Msg string }

func (e *MetadataError) Error() string { return "sops metadata: " + e.Msg }

var otherKeyKinds = []string{"pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"}

func parseMetadata(n *yaml.Node) (*Metadata, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &MetadataError{"the top-level sops key is not a mapping (a plaintext file may not use the key sops)"}
	}
	if err := checkSopsBlock(n); err != nil {
		return nil, err
	}
	m := &Metadata{}
	top := crypt.KeyGroup{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		seen[k] = true
		str := func() (string, error) {
			if v.Kind != yaml.ScalarNode {
				return "", &MetadataError{k + " is not a string"}
			}
			return v.Value, nil
		}
		var err error
		switch k {
		case "age":
			top.Age, err = parseAgeList(v)
		case "key_groups":
			if v.Kind != yaml.SequenceNode {
				return nil, &MetadataError{"key_groups is not a list"}
			}
			m.Grouped = true
			for _, g := range v.Content {
				kg, err := parseKeyGroup(g)
				if err != nil {
					return nil, err
				}
				m.KeyGroups = append(m.KeyGroups, kg)
			}
		case "shamir_threshold":
			s, e := str()
			if e != nil {
				return nil, e
			}
			if m.ShamirThreshold, err = strconv.Atoi(s); err != nil {
				return nil, &MetadataError{"shamir_threshold is not a number"}
			}
		case "lastmodified":
			m.LastModified, err = str()
		case "mac":
			m.MAC, err = str()
		case "mac_only_encrypted":
			m.Rules.MACOnlyEncrypted, err = sopsBool(v)
		case "version":
			m.Version, err = str()
		default:
			if f := m.Rules.TextField(k); f != nil {
				*f, err = str()
				break
			}
			for _, o := range otherKeyKinds {
				if k == o && v.Kind == yaml.SequenceNode {
					top.Other += len(v.Content)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !m.Grouped {
		m.KeyGroups = []crypt.KeyGroup{top}
	}
	n0, err := m.CheckRead(seen["lastmodified"])
	if err != nil {
		return nil, err
	}
	if err := m.validate(n0); err != nil {
		return nil, err
	}
	if err := m.Rules.Compile(); err != nil {
		return nil, &MetadataError{err.Error()}
	}
	return m, nil
}

// TextField returns the field of r that the sops metadata key holds, for
// the suffix and regex rules; nil for any other key.
func (r *Rules) TextField(key string) *string {
	switch key {
	case "unencrypted_suffix":
		return &r.UnencryptedSuffix
	case "encrypted_suffix":
		return &r.EncryptedSuffix
	case "unencrypted_regex":
		return &r.UnencryptedRegex
	case "encrypted_regex":
		return &r.EncryptedRegex
	case "unencrypted_comment_regex":
		return &r.UnencryptedCommentRegex
	case "encrypted_comment_regex":
		return &r.EncryptedCommentRegex
	}
	return nil
}

// CheckRead makes the checks sops makes on any store's metadata once its
// fields are read: lastmodified is there (hasLastModified) and an RFC 3339
// time, version is set and there is at least one key. It returns the
// number of key entries.
func (m *Metadata) CheckRead(hasLastModified bool) (int, error) {
	if !hasLastModified {
		return 0, &MetadataError{"lastmodified is missing"}
	}
	if m.Version == "" {
		return 0, &MetadataError{"version is missing"}
	}
	if _, err := crypt.MACAAD(m.LastModified); err != nil {
		return 0, &MetadataError{"lastmodified is not an RFC 3339 time"}
	}
	n := 0
	for _, g := range m.KeyGroups {
		n += len(g.Age) + g.Other
	}
	if n == 0 {
		return 0, &MetadataError{"no keys found in the file"}
	}
	return n, nil
}

func parseKeyGroup(g *yaml.Node) (crypt.KeyGroup, error) {
	var kg crypt.KeyGroup
	if g.Kind != yaml.MappingNode {
		return kg, &MetadataError{"a key group is not a mapping"}
	}
	for i := 0; i+1 < len(g.Content); i += 2 {
		k, v := g.Content[i].Value, g.Content[i+1]
		if k == "age" {
			var err error
			if kg.Age, err = parseAgeList(v); err != nil {
				return kg, err
			}
		} else if v.Kind == yaml.SequenceNode {
			kg.Other += len(v.Content)
		}
	}
	return kg, nil
}

func parseAgeList(v *yaml.Node) ([]crypt.AgeKey, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, &MetadataError{"age is not a list"}
	}
	var out []crypt.AgeKey
	for _, e := range v.Content {
		if e.Kind != yaml.MappingNode {
			return nil, &MetadataError{"an age entry is not a mapping"}
		}
		var ak crypt.AgeKey
		for i := 0; i+1 < len(e.Content); i += 2 {
			switch e.Content[i].Value {
			case "recipient":
				ak.Recipient = e.Content[i+1].Value
			case "enc":
				ak.Enc = e.Content[i+1].Value
			}
		}
		if ak.Enc == "" {
			return nil, &MetadataError{"an age entry has no enc"}
		}
		out = append(out, ak)
	}
	return out, nil
}

// renderMetadata writes a sops: block the way sops orders it, indented with
// unit per level, every line prefixed by base, lines ended by eol.
func renderMetadata(m *Metadata, base, unit, eol string) (string, error) {
	if m.LastModified == "" || m.MAC == "" {
		return "", errors.New("incomplete metadata")
	}
	var b strings.Builder
	line := func(depth int, s string) {
		b.WriteString(base)
		b.WriteString(strings.Repeat(unit, depth))
		b.WriteString(s)
		b.WriteString(eol)
	}
	ageList := func(depth int, keys []crypt.AgeKey) {
		for _, k := range keys {
			line(depth, "- enc: |")
			pad := strings.Repeat(" ", len(unit)*depth+2) + unit
			for _, l := range strings.Split(strings.TrimRight(k.Enc, "\n"), "\n") {
				b.WriteString(base)
				b.WriteString(pad)
				b.WriteString(l)
				b.WriteString(eol)
			}
			line(depth, "  recipient: "+k.Recipient)
		}
	}
	line(0, "sops:")
	if !m.Grouped {
		line(1, "age:")
		ageList(2, m.KeyGroups[0].Age)
	}
	rules := m.Rules
	if m.Grouped {
		line(1, "key_groups:")
		for _, g := range m.KeyGroups {
			// yaml.v3 starts a mapping item on the dash line.
			line(2, "- age:")
			ageList(4, g.Age)
			line(2, "  hc_vault: []")
		}
	}
	if rules.EncryptedCommentRegex != "" {
		line(1, "encrypted_comment_regex: "+quote(rules.EncryptedCommentRegex))
	}
	if rules.EncryptedRegex != "" {
		line(1, "encrypted_regex: "+quote(rules.EncryptedRegex))
	}
	if rules.EncryptedSuffix != "" {
		line(1, "encrypted_suffix: "+quote(rules.EncryptedSuffix))
	}
	line(1, "lastmodified: \""+m.LastModified+"\"")
	line(1, "mac: "+m.MAC)
	if rules.MACOnlyEncrypted {
		line(1, "mac_only_encrypted: true")
	}
	if m.Grouped && m.ShamirThreshold > 0 {
		line(1, "shamir_threshold: "+strconv.Itoa(m.ShamirThreshold))
	}
	if rules.UnencryptedCommentRegex != "" {
		line(1, "unencrypted_comment_regex: "+quote(rules.UnencryptedCommentRegex))
	}
	if rules.UnencryptedRegex != "" {
		line(1, "unencrypted_regex: "+quote(rules.UnencryptedRegex))
	}
	if rules.UnencryptedSuffix != "" {
		line(1, "unencrypted_suffix: "+quote(rules.UnencryptedSuffix))
	}
	line(1, "version: "+m.Version)
	return b.String(), nil
}

// quote spells a metadata string on one line: the emitter's flow-context
// spelling, valid in block context too.
func quote(s string) string {
	text, err := spellString(s, scalarContext{flow: true})
	if err != nil {
		return doubleQuote(s)
	}
	return text
}

func (m *Metadata) String() string {
	return fmt.Sprintf("sops metadata with %d recipients", len(m.Recipients()))
}

// Metadata returns the parsed sops block of the first document, nil if the
// file has none.
func (f *File) Metadata() (*Metadata, error) {
	d := f.Docs[0]
	if d.sopsVal == nil {
		for _, o := range f.Docs[1:] {
			if o.sopsVal != nil {
				return nil, &MetadataError{"only a later document has a sops block"}
			}
		}
		return nil, nil
	}
	m, err := parseMetadata(d.sopsVal)
	if err != nil {
		return nil, err
	}
	m.MAC = f.realValue(m.MAC)
	return m, nil
}

// IsEncrypted reports cheaply whether b looks like a SOPS-encrypted YAML
// file: a top-level sops key with a mac. It does not verify anything.
func IsEncrypted(b []byte) bool {
	i := bytes.Index(b, []byte("\nsops:"))
	if i < 0 && !bytes.HasPrefix(b, []byte("sops:")) {
		return false
	}
	return bytes.Contains(b, []byte("mac: ENC[AES256_GCM,")) || bytes.Contains(b, []byte("lastmodified:"))
}

// appendMetadata inserts the sops block at the end of every document, in the
// file's indentation.
func (f *File) appendMetadata(m *Metadata) ([]edit, error) {
	unit := strings.Repeat(" ", f.indentUnit())
	eol := f.eol()
	var edits []edit
	for _, d := range f.Docs {
		base := ""
		if d.Root != nil && len(d.Root.Content) > 0 {
			base = strings.Repeat(" ", d.Root.Column-1)
		}
		block, err := renderMetadata(m, base, unit, eol)
		if err != nil {
			return nil, err
		}
		at := d.end
		if at > 0 && f.src.b[at-1] != '\n' {
			// No final newline: keep it that way so decryption gives the
			// original back.
			block = eol + strings.TrimSuffix(block, eol)
		}
		edits = append(edits, edit{at, at, block})
	}
	return edits, nil
}

// updateMetadata rewrites lastmodified and mac in place in every document's
// sops block, leaving the rest of the block as it is.
func (f *File) updateMetadata(lastMod, mac string) ([]edit, error) {
	var edits []edit
	for _, d := range f.Docs {
		if d.sopsVal == nil {
			continue
		}
		found := 0
		for i := 0; i+1 < len(d.sopsVal.Content); i += 2 {
			k, v := d.sopsVal.Content[i].Value, d.sopsVal.Content[i+1]
			if k != "lastmodified" && k != "mac" {
				continue
			}
			off, err := f.src.offset(v.Line, v.Column)
			if err != nil {
				return nil, err
			}
			sp, err := f.src.scalarSpan(v, off, d.sopsVal.Column-1, false)
			if err != nil {
				return nil, &MetadataError{"cannot locate " + k}
			}
			text := mac
			if k == "lastmodified" {
				text = `"` + lastMod + `"`
				if v.Style&yaml.SingleQuotedStyle != 0 {
					text = "'" + lastMod + "'"
				}
			}
			edits = append(edits, edit{sp.val, sp.end, text})
			found++
		}
		if found != 2 {
			return nil, &MetadataError{"lastmodified or mac is missing"}
		}
	}
	return edits, nil
}
