package inifile

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/formats/sopsfile"
	"gopkg.in/ini.v1"
)

// plain reads a plaintext INI file (no sops section).
func plain(text []byte) ([]section, error) {
	secs, meta, err := read(text)
	if err != nil {
		return nil, err
	}
	if meta != nil {
		return nil, errors.New("the plaintext has a sops section")
	}
	return secs, nil
}

// SetValue returns the plaintext INI file text with key's value in
// section set to value (sops's set ["section"]["key"]): the key is added
// at the end of the section when missing, the section at the end of the
// file. The file is written in sops's INI layout, as decryption writes it.
func SetValue(text []byte, sec, key, value string) ([]byte, error) {
	if sec == "sops" {
		return nil, errors.New(`the section "sops" is reserved for sops metadata`)
	}
	if key == "" {
		return nil, errors.New("an INI key cannot be empty")
	}
	secs, err := plain(text)
	if err != nil {
		return nil, err
	}
	si := findSection(secs, sec)
	if si < 0 {
		secs = append(secs, section{name: sec})
		si = len(secs) - 1
	}
	s := &secs[si]
	found := false
	for i := range s.items {
		if !s.items[i].comment && s.items[i].key == key {
			s.items[i].value, found = value, true
		}
	}
	if !found {
		s.items = append(s.items, item{key: key, value: value})
	}
	return emitChecked(secs, sec, key, value)
}

// DeleteValue returns text without key in section, or without the whole
// section when key is "" (sops's unset ["section"]).
func DeleteValue(text []byte, sec, key string) ([]byte, error) {
	secs, err := plain(text)
	if err != nil {
		return nil, err
	}
	si := findSection(secs, sec)
	if si < 0 {
		return nil, fmt.Errorf("[%s]: no such section in the file", sec)
	}
	if key == "" {
		secs = append(secs[:si], secs[si+1:]...)
		return emit(secs)
	}
	s := &secs[si]
	var items []item
	found := false
	for i, it := range s.items {
		if !it.comment && it.key == key {
			found = true
			// The comment after a key belongs to it (sops's attachment).
			if i+1 < len(s.items) && s.items[i+1].comment {
				s.items[i+1].key = "\x00drop"
			}
			continue
		}
		if it.comment && it.key == "\x00drop" {
			continue
		}
		items = append(items, it)
	}
	if !found {
		return nil, fmt.Errorf("%s: not found in the file", path(sec, key))
	}
	s.items = items
	return emit(secs)
}

// findSection is the index of the section named name, or -1. Of several
// (the library's implicit DEFAULT section for keys before any section and
// a [DEFAULT] written out, say) it is the first that has keys.
func findSection(secs []section, name string) int {
	first := -1
	for i, s := range secs {
		if s.name != name {
			continue
		}
		if first < 0 {
			first = i
		}
		for _, it := range s.items {
			if !it.comment {
				return i
			}
		}
	}
	return first
}

// emitChecked emits secs and checks that key in sec reads back as value
// (the INI library cannot write every value: a value with both quote
// kinds and a line break, say).
func emitChecked(secs []section, sec, key, value string) ([]byte, error) {
	out, err := emit(secs)
	if err != nil {
		return nil, err
	}
	back, err := plain(out)
	if err == nil {
		if si := findSection(back, sec); si >= 0 {
			for _, it := range back[si].items {
				if !it.comment && it.key == key && it.value == value {
					return out, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%s: the INI library cannot write this value so that it reads back the same", path(sec, key))
}

// Values splits a plaintext INI file, as decryption writes it, into its
// values (the text after each key's "="), named [section].key, for a
// value-level merge.
func Values(text []byte) (*sopsfile.Doc, error) {
	if _, err := plain(text); err != nil {
		return nil, err
	}
	d := &sopsfile.Doc{Text: text}
	sec := ini.DefaultSection
	pos := 0
	for pos < len(text) {
		end := bytes.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += pos
		}
		line := text[pos:end]
		lineStart := pos
		pos = end + 1
		t := bytes.TrimLeft(line, " \t")
		off := lineStart + len(line) - len(t)
		t = bytes.TrimRight(t, "\r")
		switch {
		case len(t) == 0 || t[0] == ';' || t[0] == '#':
			continue
		case t[0] == '[':
			if i := bytes.IndexByte(t, ']'); i > 0 {
				sec = string(t[1:i])
			}
			continue
		}
		k := keyEnd(t)
		if k < 0 {
			return nil, errors.New("invalid INI: a line without a key")
		}
		key := string(bytes.Trim(bytes.TrimSpace(t[:k]), "`\""))
		v := k + 1
		for v < len(t) && (t[v] == ' ' || t[v] == '\t') {
			v++
		}
		start, stop := off+v, off+len(t)
		if bytes.HasPrefix(t[v:], []byte(`"""`)) {
			// A multi-line value: up to its closing """.
			c := bytes.Index(text[start+3:], []byte(`"""`))
			if c < 0 {
				return nil, errors.New("invalid INI: an unclosed \"\"\" value")
			}
			stop = start + 3 + c + 3
			if nl := bytes.IndexByte(text[stop:], '\n'); nl >= 0 {
				pos = stop + nl + 1
			} else {
				pos = len(text)
			}
		}
		d.Values = append(d.Values, sopsfile.Value{Path: path(sec, key), Start: start, End: stop})
	}
	sopsfile.UniquePaths(d.Values)
	return d, nil
}

// keyEnd is the index of the delimiter ("=" or ":") after a key, which
// may be quoted with ` or ".
func keyEnd(t []byte) int {
	i := 0
	switch {
	case bytes.HasPrefix(t, []byte(`"""`)):
		c := bytes.Index(t[3:], []byte(`"""`))
		if c < 0 {
			return -1
		}
		i = c + 6
	case len(t) > 0 && (t[0] == '`' || t[0] == '"'):
		c := bytes.IndexByte(t[1:], t[0])
		if c < 0 {
			return -1
		}
		i = c + 2
	}
	for ; i < len(t); i++ {
		if t[i] == '=' || t[i] == ':' {
			return i
		}
	}
	return -1
}

// EnvTree is an INI file read for exec-env: the keys of the default
// section (before any section, or under [DEFAULT]) at the top level, each
// other section a mapping of its keys, so that flattening it gives
// KEY and SECTION_KEY. (sops's exec-env refuses INI files.)
func EnvTree(text []byte) (any, error) {
	tr, err := Tree(text)
	if err != nil {
		return nil, err
	}
	var out sopsfile.Object
	for _, m := range tr.(sopsfile.Object) {
		if m.Key == ini.DefaultSection {
			out = append(out, m.Value.(sopsfile.Object)...)
			continue
		}
		out = append(out, m)
	}
	seen := map[string]bool{}
	for _, m := range out {
		if seen[m.Key] {
			return nil, fmt.Errorf("%s: a key of the default section and a section have the same name", m.Key)
		}
		seen[m.Key] = true
	}
	if out == nil {
		out = sopsfile.Object{}
	}
	return out, nil
}
