package sopsfile

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/yamlwalk"
)

// The dotenv and INI stores keep the metadata as flat keys: a path through
// the tree with "__map_" before each mapping key and "__list_" before each
// list index (age__list_0__map_enc), as sops's stores/flatten.go does.

const (
	mapSeparator  = "__map_"
	listSeparator = "__list_"
)

// KV is one flattened metadata entry.
type KV struct{ Key, Value string }

// Flatten turns a metadata tree into flat keys, each prefixed with prefix,
// in the tree's order; scalars are spelled as sops's ValToString does.
// Empty lists vanish, as in sops.
func Flatten(o Object, prefix string) []KV {
	var out []KV
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case Object:
			for _, m := range x {
				walk(m.Value, key+mapSeparator+m.Key)
			}
		case []any:
			for i, e := range x {
				walk(e, key+listSeparator+strconv.Itoa(i))
			}
		case string:
			out = append(out, KV{key, x})
		case bool:
			out = append(out, KV{key, strconv.FormatBool(x)})
		case int:
			out = append(out, KV{key, strconv.Itoa(x)})
		default:
			out = append(out, KV{key, fmt.Sprint(x)})
		}
	}
	for _, m := range o {
		walk(m.Value, prefix+m.Key)
	}
	return out
}

type token struct {
	key   string
	index int
	list  bool
}

func tokenize(path string) []token {
	var toks []token
	state := 0 // 0: first key, 1: map key, 2: list index
	last := 0
	finish := func(i int) {
		switch state {
		case 0:
			toks = append(toks, token{key: path[last:i]})
		case 1:
			toks = append(toks, token{key: path[last+len(mapSeparator) : i]})
		case 2:
			n, _ := strconv.Atoi(path[last+len(listSeparator) : i])
			toks = append(toks, token{index: n, list: true})
		}
		last = i
	}
	for i := 0; i < len(path); {
		switch {
		case strings.HasPrefix(path[i:], mapSeparator):
			finish(i)
			state = 1
			i += len(mapSeparator)
		case strings.HasPrefix(path[i:], listSeparator):
			finish(i)
			state = 2
			i += len(listSeparator)
		default:
			i++
		}
	}
	finish(len(path))
	return toks
}

type flatNode struct {
	value   *string
	keys    map[string]*flatNode
	indexes map[int]*flatNode
}

// Unflatten rebuilds a metadata tree from flat keys (prefix already
// removed). Mapping keys come out sorted and list items in index order, as
// in sops; every scalar is a string.
func Unflatten(kvs []KV) (Object, error) {
	root := &flatNode{}
	for _, kv := range kvs {
		n := root
		for _, t := range tokenize(kv.Key) {
			var next *flatNode
			if t.list {
				if n.indexes == nil {
					n.indexes = map[int]*flatNode{}
				}
				if next = n.indexes[t.index]; next == nil {
					next = &flatNode{}
					n.indexes[t.index] = next
				}
			} else {
				if n.keys == nil {
					n.keys = map[string]*flatNode{}
				}
				if next = n.keys[t.key]; next == nil {
					next = &flatNode{}
					n.keys[t.key] = next
				}
			}
			n = next
		}
		if n.value != nil {
			return nil, metaErr(fmt.Sprintf("duplicate metadata key %q", kv.Key))
		}
		v := kv.Value
		n.value = &v
	}
	v, err := convert(root)
	if err != nil {
		return nil, metaErr(err.Error())
	}
	o, ok := v.(Object)
	if !ok {
		return nil, metaErr("malformed metadata keys")
	}
	return o, nil
}

func convert(n *flatNode) (any, error) {
	kinds := 0
	for _, b := range []bool{n.value != nil, len(n.keys) > 0, len(n.indexes) > 0} {
		if b {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return nil, errors.New("metadata keys mix a value, a mapping and a list at one place")
	case n.value != nil:
		return *n.value, nil
	case len(n.keys) > 0:
		keys := make([]string, 0, len(n.keys))
		for k := range n.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(Object, 0, len(keys))
		for _, k := range keys {
			v, err := convert(n.keys[k])
			if err != nil {
				return nil, err
			}
			o = append(o, Member{k, v})
		}
		return o, nil
	case len(n.indexes) > 0:
		l := make([]any, len(n.indexes))
		for i, c := range n.indexes {
			if i < 0 || i >= len(l) {
				return nil, errors.New("metadata list has missing items")
			}
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	}
	return Object{}, nil
}

// FlatMetadata is m as the dotenv and INI stores write it: flat keys, each
// prefixed with prefix, whose values spell a line break as the two
// characters \n.
func FlatMetadata(m *yamlwalk.Metadata, prefix string) ([]KV, error) {
	tree, err := MetadataTree(m)
	if err != nil {
		return nil, err
	}
	kvs := Flatten(tree, prefix)
	for i := range kvs {
		kvs[i].Value = strings.ReplaceAll(kvs[i].Value, "\n", `\n`)
	}
	return kvs, nil
}

// ParseFlat reads metadata from flat keys as the dotenv and INI stores
// write them (prefix removed, \n standing for a line break), with
// ParseMetadata's checks.
func ParseFlat(kvs []KV) (*yamlwalk.Metadata, error) {
	read := make([]KV, len(kvs))
	for i, kv := range kvs {
		read[i] = KV{kv.Key, strings.ReplaceAll(kv.Value, `\n`, "\n")}
	}
	o, err := Unflatten(read)
	if err != nil {
		return nil, err
	}
	return ParseMetadata(o)
}
