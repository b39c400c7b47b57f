package secretfile

// Reading values out of a decrypted file: --extract and exec-env's
// environment variables.

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// EnvVar is one environment variable read from a values file: Path is
// where it came from (a YAML path, or a dotenv name), never the value.
type EnvVar struct {
	Name, Value, Path string
	merged            bool // came through a YAML merge key; explicit keys win
}

// EnvVars is exec-env's reading of a decrypted file (text; src is the
// file as read, for its format): a dotenv file's variables as dotenv
// loaders read them (see dotenv.Vars; prefix is put before each name, a
// later line wins over an earlier one), YAML and JSON through EnvVarsYAML,
// INI and binary files as envINI and envBinary read them. A .env.* file
// (IsDotenvName) is read as dotenv even when it was encrypted as binary,
// as sops does by default: its plaintext is a dotenv file.
func EnvVars(file string, src, text []byte, prefix string) ([]EnvVar, error) {
	switch f := FormatOf(file, src, FormatAuto); {
	case f == FormatDotenv, f == FormatBinary && IsDotenvName(file):
	case f == FormatINI:
		return envINI(text, prefix)
	case f == FormatBinary:
		return envBinary(text, prefix)
	default:
		return EnvVarsYAML(text, prefix)
	}
	vs, err := dotenv.Vars(text)
	if err != nil {
		return nil, err
	}
	var out []EnvVar
	at := map[string]int{}
	for _, v := range vs {
		name := prefix + v.Name
		if !validEnvName(name) {
			return nil, fmt.Errorf("line %d: %q is not a valid environment variable name", v.Line, name)
		}
		if strings.IndexByte(v.Value, 0) >= 0 {
			return nil, fmt.Errorf("%s: the value contains a NUL byte, which an environment variable cannot hold", v.Name)
		}
		ev := EnvVar{Name: name, Value: v.Value, Path: v.Name}
		if i, ok := at[name]; ok {
			out[i] = ev
			continue
		}
		at[name] = len(out)
		out = append(out, ev)
	}
	return out, nil
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// EnvVarsYAML turns every non-null scalar of a YAML text into an environment
// variable; see exec-env's help for the naming.
func EnvVarsYAML(text []byte, prefix string) ([]EnvVar, error) {
	docs, err := yamlDocs(text)
	if err != nil {
		return nil, err
	}
	var out []EnvVar
	byName := map[string]int{}
	var walk func(n *yaml.Node, names []string, path yamlwalk.ValuePath, merged bool) error
	budget := 100000 // against alias bombs
	add := func(v EnvVar) error {
		if budget--; budget < 0 {
			return errors.New("too many values (aliases expand to more than 100000)")
		}
		if i, ok := byName[v.Name]; ok {
			if v.merged {
				return nil // an explicit key (or an earlier merge) wins
			}
			if out[i].merged {
				out[i] = v
				return nil
			}
			return fmt.Errorf("%s and %s both become the environment variable %s", out[i].Path, v.Path, v.Name)
		}
		byName[v.Name] = len(out)
		out = append(out, v)
		return nil
	}
	walk = func(n *yaml.Node, names []string, path yamlwalk.ValuePath, merged bool) error {
		switch n.Kind {
		case yaml.AliasNode:
			return walk(n.Alias, names, path, merged)
		case yaml.ScalarNode:
			if n.ShortTag() == "!!null" {
				return nil
			}
			name := prefix + strings.Join(names, "_")
			if len(names) == 0 || name == "" || name[0] >= '0' && name[0] <= '9' {
				return fmt.Errorf("%s: %q is not a valid environment variable name (use --prefix)", path.String(), name)
			}
			if strings.IndexByte(n.Value, 0) >= 0 {
				return fmt.Errorf("%s: the value contains a NUL byte, which an environment variable cannot hold", path.String())
			}
			return add(EnvVar{Name: name, Value: n.Value, Path: path.String(), merged: merged})
		case yaml.MappingNode:
			// Explicit keys first, so merged (<<) ones only fill gaps.
			for pass := 0; pass < 2; pass++ {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					isMerge := k.Value == "<<" && k.ShortTag() == "!!merge"
					if isMerge != (pass == 1) {
						continue
					}
					if isMerge {
						if err := walk(v, names, path, true); err != nil {
							return err
						}
						continue
					}
					sub := append(path[:len(path):len(path)], yamlwalk.PathStep{Key: k.Value})
					if err := walk(v, append(names[:len(names):len(names)], envComponent(k.Value)), sub, merged); err != nil {
						return err
					}
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := append(path[:len(path):len(path)], yamlwalk.PathStep{Index: i, IsIndex: true})
				if merged && c.Kind == yaml.AliasNode {
					// <<: [*a, *b] lists the maps to merge.
					if err := walk(c, names, path, true); err != nil {
						return err
					}
					continue
				}
				if err := walk(c, append(names[:len(names):len(names)], strconv.Itoa(i)), p, merged); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, d := range docs {
		if err := walk(d, nil, nil, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// envComponent upper-cases a key and turns everything but A-Z and 0-9
// into '_'.
func envComponent(k string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(k) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// yamlDocs parses every document's root node.
func yamlDocs(text []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(text)))
	var out []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if len(n.Content) == 1 {
			out = append(out, n.Content[0])
		}
	}
}

// ExtractYAML returns the value at path (sv's db.password or sops's
// ["db"]["password"]) of the first document: a string as it is, without a
// line break (like sops), other scalars with one, and a mapping or list as
// YAML.
func ExtractYAML(text []byte, path string) ([]byte, error) {
	p, err := yamlwalk.ParseValuePath(path)
	if err != nil {
		return nil, &FormatError{Msg: err.Error(), Hint: pathHint}
	}
	docs, err := yamlDocs(text)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: not found (the file is empty)", p)
	}
	n, found := yamlwalk.Follow(docs[0], p)
	if n == nil {
		return nil, fmt.Errorf("%s: not found in the file", p[:found+1])
	}
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() == "!!str" {
			return []byte(n.Value), nil
		}
		return []byte(n.Value + "\n"), nil
	}
	budget := 100000
	n, err = expandedCopy(n, &budget)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(4)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// expandedCopy copies n with aliases replaced by what they point to and
// anchors dropped, so a subtree prints on its own (as sops prints it).
// budget bounds the nodes made, against alias bombs.
func expandedCopy(n *yaml.Node, budget *int) (*yaml.Node, error) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if *budget--; *budget < 0 {
		return nil, errors.New("too many aliases to expand")
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	for _, sub := range n.Content {
		sc, err := expandedCopy(sub, budget)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, sc)
	}
	return &c, nil
}
