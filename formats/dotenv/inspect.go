package dotenv

import (
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Inspect lists a file's values and whether each is encrypted, with the
// file's own rules, or rules for a file without metadata.
func Inspect(b []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	entries, meta, err := read(b)
	if err != nil {
		return nil, err
	}
	if rules, err = sopsfile.RulesOf(meta, rules); err != nil {
		return nil, err
	}
	info := &yamlwalk.Info{Metadata: meta}
	var stack []string
	for _, e := range entries {
		switch e.kind {
		case kComment:
			stack = append(stack, string(b[e.start+1:e.end]))
			continue
		case kPair:
		default:
			continue
		}
		k := e.key(b)
		comments := stack
		stack = nil
		if strings.HasPrefix(k, sopsPrefix) {
			continue
		}
		raw := e.value(b)
		li := yamlwalk.LeafInfo{Path: k, Keys: []string{k}, Line: e.line, Empty: raw == "" || raw == "\r",
			ShouldEncrypt: rules.ShouldEncrypt([]string{k}, comments)}
		if crypt.IsENC(raw) && li.ShouldEncrypt {
			enc, _ := splitENC(raw)
			li.Encrypted, li.Ciphertext = true, enc
		}
		info.Leaves = append(info.Leaves, li)
	}
	return info, nil
}

// ReplaceMetadata writes m's sops_ lines in place of the file's; values
// are untouched.
func ReplaceMetadata(b []byte, m *yamlwalk.Metadata) ([]byte, error) {
	entries, err := parse(b)
	if err != nil {
		return nil, err
	}
	lines, err := MetadataLines(m)
	if err != nil {
		return nil, err
	}
	block := strings.Join(lines, "\n") + "\n"
	var out strings.Builder
	placed := false
	pos := 0
	for _, e := range entries {
		if e.kind != kPair || !strings.HasPrefix(e.key(b), sopsPrefix) {
			continue
		}
		out.Write(b[pos:e.start])
		if !placed {
			out.WriteString(block)
			placed = true
		}
		pos = e.next
		if e.next == e.end { // the last line, without a line break
			s := strings.TrimSuffix(out.String(), "\n")
			out.Reset()
			out.WriteString(s)
		}
	}
	if !placed {
		return nil, yamlwalk.ErrNotEncrypted
	}
	out.Write(b[pos:])
	return []byte(out.String()), nil
}
