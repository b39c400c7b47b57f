package yamlwalk

import (
	"errors"
	"fmt"
	"go.yaml.in/yaml/v3"
	"strconv"
	"strings"
)

// PathStep is one step of a ValuePath: a mapping key, or (when IsIndex) an
// item of a sequence.
type PathStep struct {
	Key     string
	Index   int
	IsIndex bool
}

// ValuePath names one value of a YAML document, from the root.
type ValuePath []PathStep

// String writes p the way sv names values in messages: db.hosts[0].name,
// with keys holding dots, brackets, quotes or blanks written ["like.this"].
func (p ValuePath) String() string {
	s := ""
	for _, st := range p {
		if st.IsIndex {
			s += "[" + strconv.Itoa(st.Index) + "]"
		} else {
			s = joinPath(s, st.Key)
		}
	}
	return s
}

// ParseValuePath reads a value path in sv's dotted form (db.password,
// hosts[0].name, a["key.with.dots"]) or sops's bracket form
// (["db"]["password"], ["hosts"][0]); the two may be mixed. Keys in
// brackets are double-quoted (with Go/JSON escapes) or single-quoted.
func ParseValuePath(s string) (ValuePath, error) {
	var p ValuePath
	bad := func(msg string) (ValuePath, error) {
		return nil, fmt.Errorf("invalid value path %q: %s", s, msg)
	}
	if s == "" {
		return bad("it is empty")
	}
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == '[':
			j := i + 1
			if j >= len(s) {
				return bad("unterminated [")
			}
			switch s[j] {
			case '"':
				k := j + 1
				for k < len(s) && s[k] != '"' {
					if s[k] == '\\' {
						k++
					}
					k++
				}
				if k >= len(s) {
					return bad("unterminated quoted key")
				}
				key, err := strconv.Unquote(s[j : k+1])
				if err != nil {
					return bad("malformed quoted key")
				}
				p = append(p, PathStep{Key: key})
				j = k + 1
			case '\'':
				k := strings.IndexByte(s[j+1:], '\'')
				if k < 0 {
					return bad("unterminated quoted key")
				}
				p = append(p, PathStep{Key: s[j+1 : j+1+k]})
				j = j + 1 + k + 1
			default:
				k := j
				for k < len(s) && s[k] >= '0' && s[k] <= '9' {
					k++
				}
				if k == j || k-j > 9 {
					return bad("[…] must hold a quoted key or a sequence index")
				}
				n, _ := strconv.Atoi(s[j:k])
				p = append(p, PathStep{Index: n, IsIndex: true})
				j = k
			}
			if j >= len(s) || s[j] != ']' {
				return bad("missing ]")
			}
			i = j + 1
		case c == '.':
			if i == 0 || i+1 >= len(s) || s[i+1] == '.' || s[i+1] == '[' {
				return bad("a dot in the wrong place")
			}
			i++
			fallthrough
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				if s[j] == ']' {
					return bad("unexpected ]")
				}
				j++
			}
			if j == i {
				return bad("empty key")
			}
			if i > 0 && s[i-1] != '.' {
				return bad("a key after ] needs a .")
			}
			p = append(p, PathStep{Key: s[i:j]})
			i = j
		}
	}
	return p, nil
}

// PathError is a value path that does not fit a document.
type PathError struct {
	Path ValuePath
	Msg  string
	err  error
}

func (e *PathError) Error() string { return e.Path.String() + ": " + e.Msg }

// ErrPathNotFound is wrapped by the PathError DeleteValue returns for a
// value that does not exist.
var ErrPathNotFound = errors.New("no such value")

// Is lets errors.Is(err, ErrPathNotFound) see through a PathError.
func (e *PathError) Unwrap() error { return e.err }

// Follow walks p from n through mappings and sequences, looking through
// aliases, and returns the node it reaches (itself not an alias), or nil
// and the number of steps that exist.
func Follow(n *yaml.Node, p ValuePath) (*yaml.Node, int) {
	for i, st := range p {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		var next *yaml.Node
		switch {
		case st.IsIndex && n.Kind == yaml.SequenceNode:
			if st.Index >= 0 && st.Index < len(n.Content) {
				next = n.Content[st.Index]
			}
		case !st.IsIndex && n.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == st.Key {
					next = n.Content[j+1]
				}
			}
		}
		if next == nil {
			return nil, i
		}
		n = next
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n, len(p)
}
