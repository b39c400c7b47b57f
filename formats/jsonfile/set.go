package jsonfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
)

// literal is the JSON text of a value of type typ (str, int, float, bool);
// a number keeps its spelling when it is a JSON number. The value is
// checked as yamlwalk.ScalarText checks it, with its errors.
func literal(typ, value string) (string, error) {
	switch typ {
	case crypt.TypeStr, "", crypt.TypeInt, crypt.TypeFloat, crypt.TypeBool:
	default:
		return "", fmt.Errorf("unknown value type %q", typ)
	}
	canon, err := yamlwalk.ScalarText(typ, value)
	if err != nil {
		return "", err
	}
	switch typ {
	case crypt.TypeInt, crypt.TypeFloat:
		if v := strings.TrimSpace(value); isNumber(v) {
			return v, nil
		}
		if isNumber(canon) {
			return canon, nil
		}
		return "", errors.New("the number has no JSON spelling")
	case crypt.TypeBool:
		return strings.ToLower(canon), nil // sops's True, JSON's true
	}
	return quote(value, minimal), nil
}

// locate follows path as far as it exists: the nodes on the way (the last
// one is the value when found is true) and the step that was missing.
func locate(root *node, path []Step) (nodes []*node, found bool) {
	n := root
	nodes = []*node{root}
	for _, st := range path {
		var next *node
		switch {
		case st.IsIndex && n.kind == kArray:
			if st.Index >= 0 && st.Index < len(n.items) {
				next = n.items[st.Index]
			}
		case !st.IsIndex && n.kind == kObject:
			for _, m := range n.members {
				if m.key == st.Key && !(n == root && m.key == "sops") {
					next = m.value
				}
			}
		}
		if next == nil {
			return nodes, false
		}
		n = next
		nodes = append(nodes, n)
	}
	return nodes, true
}

// SetValue returns text with the value at path set to value of type typ
// (str, int, float or bool). An existing scalar's text is replaced; a
// missing key is added as the last member of the deepest existing object
// (with objects for the rest of the path), in the layout of its siblings;
// an index one past the end appends to an array. The rest of the text
// stays as it is.
func SetValue(text []byte, path []Step, typ, value string) ([]byte, error) {
	if len(path) == 0 {
		return nil, errors.New("empty value path")
	}
	lit, err := literal(typ, value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pathString(path), err)
	}
	root, err := parse(text)
	if err != nil {
		return nil, err
	}
	nodes, found := locate(root, path)
	if found {
		n := nodes[len(nodes)-1]
		if n.kind == kObject || n.kind == kArray {
			return nil, fmt.Errorf("%s is an object or an array, not a value", pathString(path))
		}
		return checked(applyEdits(text, []edit{{n.start, n.end, lit}}), path)
	}
	parent := nodes[len(nodes)-1]
	i := len(nodes) - 1 // the missing step
	st := path[i]
	// The new value for the rest of the path: nested one-line objects.
	newText := lit
	for j := len(path) - 1; j > i; j-- {
		if path[j].IsIndex {
			return nil, fmt.Errorf("%s: cannot create a list item inside a new value", pathString(path[:j+1]))
		}
		k, _ := quoteKey(path[j].Key)
		newText = "{" + k + ": " + newText + "}"
	}
	var e edit
	switch {
	case !st.IsIndex && parent.kind == kObject:
		k, _ := quoteKey(st.Key)
		ms := parent.members
		if len(ms) == 0 {
			e = edit{parent.start + 1, parent.start + 1, k + ": " + newText}
			break
		}
		last := ms[len(ms)-1]
		sep := string(text[parent.start+1 : ms[0].keyStart])
		if len(ms) > 1 {
			between := string(text[ms[len(ms)-2].value.end:last.keyStart])
			sep = between[strings.IndexByte(between, ',')+1:]
		}
		e = edit{last.value.end, last.value.end, "," + sep + k + colonOf(text, last) + newText}
	case st.IsIndex && parent.kind == kArray && st.Index == len(parent.items):
		items := parent.items
		if len(items) == 0 {
			e = edit{parent.start + 1, parent.start + 1, newText}
			break
		}
		last := items[len(items)-1]
		sep := string(text[parent.start+1 : items[0].start])
		if len(items) > 1 {
			between := string(text[items[len(items)-2].end:last.start])
			sep = between[strings.IndexByte(between, ',')+1:]
		}
		e = edit{last.end, last.end, "," + sep + newText}
	default:
		return nil, fmt.Errorf("%s: not found, and cannot be added there", pathString(path[:i+1]))
	}
	return checked(applyEdits(text, []edit{e}), path)
}

func quoteKey(k string) (string, error) {
	if !utf8.ValidString(k) {
		return "", errors.New("the key is not UTF-8 text")
	}
	return quote(k, minimal), nil
}

// checked parses the result again and checks that path is there.
func checked(out []byte, path []Step) ([]byte, error) {
	root, err := parse(out)
	if err != nil {
		return nil, fmt.Errorf("%s: the change would not be valid JSON (please report this): %w", pathString(path), err)
	}
	if _, found := locate(root, path); !found {
		return nil, fmt.Errorf("%s: the change did not take (please report this)", pathString(path))
	}
	return out, nil
}

// DeleteValue returns text without the member or array item at path, and
// the comma and blanks that separated it.
func DeleteValue(text []byte, path []Step) ([]byte, error) {
	if len(path) == 0 {
		return nil, errors.New("empty value path")
	}
	root, err := parse(text)
	if err != nil {
		return nil, err
	}
	nodes, found := locate(root, path)
	if !found {
		return nil, fmt.Errorf("%s: not found in the file", pathString(path))
	}
	parent, target := nodes[len(nodes)-2], nodes[len(nodes)-1]
	type span struct{ start, end int }
	var spans []span
	if parent.kind == kObject {
		for _, m := range parent.members {
			spans = append(spans, span{m.keyStart, m.value.end})
		}
	} else {
		for _, it := range parent.items {
			spans = append(spans, span{it.start, it.end})
		}
	}
	idx := -1
	for j, sp := range spans {
		if sp.end == target.end {
			idx = j
		}
	}
	var e edit
	switch {
	case idx > 0:
		e = edit{spans[idx-1].end, spans[idx].end, ""}
	case len(spans) > 1:
		e = edit{spans[0].start, spans[1].start, ""}
	default:
		e = edit{parent.start + 1, parent.end - 1, ""}
	}
	out := applyEdits(text, []edit{e})
	if _, err := parse(out); err != nil {
		return nil, fmt.Errorf("%s: the change would not be valid JSON (please report this): %w", pathString(path), err)
	}
	return out, nil
}
