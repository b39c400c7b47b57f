package jsonfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/formats/sopsfile"
)

// Step is one step of a value path: a key, or an index into an array.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

func pathString(p []Step) string {
	var b strings.Builder
	for _, s := range p {
		if s.IsIndex {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Key)
	}
	return b.String()
}

// Extract returns the value at path in a plaintext JSON document, as
// sops's --extract prints it: a string as it is, anything else as JSON
// (objects and arrays tab-indented, numbers as written); like sops, an
// object ends with a line break, anything else does not.
func Extract(text []byte, path []Step) ([]byte, error) {
	n, err := parse(text)
	if err != nil {
		return nil, err
	}
	for i, st := range path {
		var next *node
		switch {
		case st.IsIndex && n.kind == kArray:
			if st.Index >= 0 && st.Index < len(n.items) {
				next = n.items[st.Index]
			}
		case !st.IsIndex && n.kind == kObject:
			for _, m := range n.members {
				if m.key == st.Key {
					next = m.value
				}
			}
		}
		if next == nil {
			return nil, fmt.Errorf("%s: not found in the file", pathString(path[:i+1]))
		}
		n = next
	}
	switch n.kind {
	case kString:
		return []byte(n.str), nil
	case kObject, kArray:
		var out bytes.Buffer
		if err := json.Indent(&out, text[n.start:n.end], "", "\t"); err != nil {
			return nil, err
		}
		if n.kind == kObject {
			out.WriteByte('\n') // as sops prints an object (not an array)
		}
		return out.Bytes(), nil
	}
	return append([]byte(nil), text[n.start:n.end]...), nil
}

// Values splits a plaintext JSON document into its scalar values, for a
// value-level merge.
func Values(text []byte) (*sopsfile.Doc, error) {
	root, err := parse(text)
	if err != nil {
		return nil, err
	}
	d := &sopsfile.Doc{Text: text}
	err = walk(root, func(l leaf) error {
		d.Values = append(d.Values, sopsfile.Value{Path: l.path.String(), Start: l.n.start, End: l.n.end})
		return nil
	})
	sopsfile.UniquePaths(d.Values)
	return d, err
}
