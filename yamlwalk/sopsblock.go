package yamlwalk

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The sops: block holds only what sops writes there. Decryption removes
// the whole block, so anything else under it (a value indented one level
// too deep when appended to the file, a comment) would vanish from the
// plaintext without a word while staying in the file in clear. sops
// ignores unknown keys; sv refuses them.

// sopsFields are the keys of sops's metadata (stores.Metadata, 3.13.3).
var sopsFields = map[string]bool{
	"shamir_threshold": true, "key_groups": true, "kms": true, "gcp_kms": true, "hckms": true,
	"azure_kv": true, "hc_vault": true, "age": true, "lastmodified": true, "mac": true, "pgp": true,
	"unencrypted_suffix": true, "encrypted_suffix": true, "unencrypted_regex": true, "encrypted_regex": true,
	"unencrypted_comment_regex": true, "encrypted_comment_regex": true, "mac_only_encrypted": true, "version": true,
}

// keyFields are the fields of each kind of key entry.
var keyFields = map[string]map[string]bool{
	"age":      {"recipient": true, "enc": true},
	"pgp":      {"created_at": true, "enc": true, "fp": true},
	"kms":      {"arn": true, "role": true, "context": true, "created_at": true, "enc": true, "aws_profile": true},
	"gcp_kms":  {"resource_id": true, "created_at": true, "enc": true},
	"hckms":    {"key_id": true, "created_at": true, "enc": true},
	"azure_kv": {"vault_url": true, "name": true, "version": true, "created_at": true, "enc": true},
	"hc_vault": {"vault_address": true, "engine_path": true, "key_name": true, "created_at": true, "enc": true},
}

var versionRe = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*([-+.][0-9A-Za-z.+-]*)?$`)

func strayError(n *yaml.Node, what string) error {
	return &MetadataError{fmt.Sprintf("line %d: %s is not part of the sops metadata (a value or comment indented under sops:? move it above the sops block and encrypt it)", n.Line, what)}
}

// checkSopsBlock refuses keys sops does not write, comments, and
// multi-line text where sops writes one line.
func checkSopsBlock(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nil // parseMetadata says what is wrong
	}
	if err := noComments(n, true); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !sopsFields[k.Value] {
			return strayError(k, fmt.Sprintf("the key %q", k.Value))
		}
		switch k.Value {
		case "key_groups":
			if v.Kind != yaml.SequenceNode {
				continue
			}
			for _, g := range v.Content {
				if g.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(g.Content); j += 2 {
					gk := g.Content[j]
					if keyFields[gk.Value] == nil {
						return strayError(gk, fmt.Sprintf("the key %q in a key group", gk.Value))
					}
					if err := checkKeyList(gk.Value, g.Content[j+1]); err != nil {
						return err
					}
				}
			}
		case "age", "pgp", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault":
			if err := checkKeyList(k.Value, v); err != nil {
				return err
			}
		case "version":
			if v.Kind == yaml.ScalarNode && (len(v.Value) > 40 || !versionRe.MatchString(v.Value)) {
				return strayError(v, "the text of version")
			}
		default:
			if v.Kind == yaml.ScalarNode && strings.ContainsAny(v.Value, "\n\r") {
				return strayError(v, "a second line of "+k.Value)
			}
		}
	}
	return nil
}

func checkKeyList(kind string, v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode {
		return nil
	}
	for _, e := range v.Content {
		if e.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(e.Content); i += 2 {
			fk, fv := e.Content[i], e.Content[i+1]
			if !keyFields[kind][fk.Value] {
				return strayError(fk, fmt.Sprintf("the key %q in an entry of %s", fk.Value, kind))
			}
			if fk.Value != "enc" && fk.Value != "context" && fv.Kind == yaml.ScalarNode && strings.ContainsAny(fv.Value, "\n\r") {
				return strayError(fv, "a second line of "+fk.Value)
			}
		}
	}
	return nil
}

// noComments refuses comments anywhere inside the block. top is the
// block's own mapping, whose foot comment may be a comment after the
// block (yaml.v3 attaches it there).
func noComments(n *yaml.Node, top bool) error {
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" && !top {
		return strayError(n, "a comment")
	}
	for _, c := range n.Content {
		if err := noComments(c, false); err != nil {
			return err
		}
	}
	return nil
}

// sopsBool reads a boolean as sops does: yaml.v3 resolves the scalar
// (true, True, TRUE, false, …) and mapstructure's weak typing converts
// what is left (a number is true unless 0, a string by strconv.ParseBool,
// "" and null are false).
func sopsBool(v *yaml.Node) (bool, error) {
	if v.Kind != yaml.ScalarNode {
		return false, &MetadataError{"mac_only_encrypted is not a boolean"}
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return false, &MetadataError{"mac_only_encrypted is not a boolean"}
	}
	switch x := x.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case int:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case string:
		if x == "" {
			return false, nil
		}
		if b, err := strconv.ParseBool(x); err == nil {
			return b, nil
		}
	}
	return false, &MetadataError{"mac_only_encrypted is not a boolean"}
}
