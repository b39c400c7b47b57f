package yamlwalk

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decrypting is dominated by yaml.v3 scanning the ciphertexts, which are
// most of an encrypted file's bytes. For decryption the file is parsed with
// every ENC[AES256_GCM,…] string replaced by a short placeholder
// "ENC[AES256_GCM,~N,TYPE]" (same line, same structure: ciphertexts are one
// line of base64 and punctuation); a placeholder is resolved wherever the
// ciphertext is needed, and expanded back when unedited text is copied to
// the output.

const (
	encPrefix = "ENC[AES256_GCM,"
	phPrefix  = "ENC[AES256_GCM,~"
)

// shrinkENC returns b with ciphertexts replaced by placeholders and the
// table of where the originals are in b. ok is false (and b returned as is) when b already
// contains something that looks like a placeholder.
func shrinkENC(b []byte) (out []byte, table [][2]int, ok bool) {
	if bytes.Contains(b, []byte(phPrefix)) {
		return b, nil, false
	}
	out = make([]byte, 0, len(b)/3)
	pos := 0
	for {
		i := bytes.Index(b[pos:], []byte(encPrefix))
		if i < 0 {
			break
		}
		start := pos + i
		end := start + len(encPrefix)
		for end < len(b) && isENCByte(b[end]) {
			end++
		}
		if end >= len(b) || b[end] != ']' {
			// Not a well-formed ciphertext: leave it for the real parser.
			out = append(out, b[pos:end]...)
			pos = end
			continue
		}
		end++
		typ := b[start:end]
		if j := bytes.LastIndex(typ, []byte(",type:")); j >= 0 {
			typ = typ[j+len(",type:") : len(typ)-1]
		} else {
			typ = nil
		}
		out = append(out, b[pos:start]...)
		out = append(out, phPrefix...)
		out = strconv.AppendInt(out, int64(len(table)), 10)
		out = append(out, ',')
		out = append(out, typ...)
		out = append(out, ']')
		table = append(table, [2]int{start, end})
		pos = end
	}
	if table == nil {
		return b, nil, true
	}
	return append(out, b[pos:]...), table, true
}

// encBytes are the bytes of an ENC string after its prefix: base64, the
// field names and separators.
var encBytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == ',' || c == ':'
	}
	return t
}()

func isENCByte(c byte) bool { return encBytes[c] }

// realValue returns s with a leading placeholder replaced by the ciphertext
// it stands for.
func (f *File) realValue(s string) string {
	if f.encs == nil || !strings.HasPrefix(s, phPrefix) {
		return s
	}
	j := strings.IndexByte(s, ']')
	if j < 0 {
		return s
	}
	n, _, ok := PlaceholderIndex(s[:j+1])
	if !ok || n >= len(f.encs) {
		return s
	}
	r := f.encs[n]
	return string(f.orig[r[0]:r[1]]) + s[j+1:]
}

// expandENC appends b to out with placeholders expanded.
func (f *File) expandENC(out, b []byte) []byte {
	if f.encs == nil {
		return append(out, b...)
	}
	for {
		i := bytes.Index(b, []byte(phPrefix))
		if i < 0 {
			return append(out, b...)
		}
		j := bytes.IndexByte(b[i:], ']')
		if j < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i]...)
		if n, _, ok := PlaceholderIndex(string(b[i : i+j+1])); ok && n < len(f.encs) {
			out = append(out, f.orig[f.encs[n][0]:f.encs[n][1]]...)
		} else {
			out = append(out, b[i:i+j+1]...)
		}
		b = b[i+j+1:]
	}
}

// ShrinkCiphertexts returns b with ciphertext number N (counting from 0)
// replaced by the placeholder "ENC[AES256_GCM,~N,TYPE]", and where each
// original is in b. The text keeps its structure and line numbers; versions
// of a file that differ only in ciphertexts shrink to the same text. ok is
// false (and b returned as is) when b already holds something that looks
// like a placeholder.
func ShrinkCiphertexts(b []byte) (text []byte, spans [][2]int, ok bool) { return shrinkENC(b) }

// PlaceholderIndex reads a placeholder "ENC[AES256_GCM,~N,TYPE]" (as Inspect
// reports the ciphertexts of a shrunk text) and returns N and TYPE.
func PlaceholderIndex(s string) (n int, typ string, ok bool) {
	rest, ok := strings.CutPrefix(s, phPrefix)
	if !ok || !strings.HasSuffix(rest, "]") {
		return 0, "", false
	}
	num, typ, ok := strings.Cut(rest[:len(rest)-1], ",")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 || num[0] == '+' {
		return 0, "", false
	}
	return n, typ, true
}

// keysHoldPlaceholder reports whether a mapping key of f holds a
// placeholder: a key spelled like a ciphertext (ENC[AES256_GCM,…]: v),
// which is a key like any other to sops, and whose placeholder would change
// the path the values under it are bound to. Such a file is parsed as it
// is instead.
func (f *File) keysHoldPlaceholder() bool {
	var rec func(n *yaml.Node) bool
	rec = func(n *yaml.Node) bool {
		if n.Kind == yaml.MappingNode {
			for i := 0; i < len(n.Content); i += 2 {
				if strings.Contains(n.Content[i].Value, phPrefix) {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if rec(c) {
				return true
			}
		}
		return false
	}
	for _, d := range f.Docs {
		if d.Root != nil && rec(d.Root) {
			return true
		}
	}
	return false
}
