package secretfile

// File formats (issue 15): YAML, JSON, dotenv, INI and binary, chosen by
// extension as sops chooses them, or given explicitly (--input-type).
//
// sops treats every file that is not .yaml/.yml/.json/.env/.ini as binary.
// sv has always treated such files (values.prod, *.yaml.gotmpl) as YAML;
// to keep them working, a file with another extension stays YAML when it is
// a YAML mapping or a sops YAML file, and is binary otherwise (a
// certificate, a key, any non-YAML text), or when it is a sops binary
// envelope. An explicit Format decides.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/binfile"
	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
	"github.com/sv-secrets/sv/formats/jsonfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Format is a file format of the SOPS format family.
type Format string

// The formats. FormatAuto means: choose by name and content (FormatOf).
const (
	FormatAuto   Format = ""
	FormatYAML   Format = "yaml"
	FormatJSON   Format = "json"
	FormatDotenv Format = "dotenv"
	FormatINI    Format = "ini"
	FormatBinary Format = "binary"
)

// FormatError is a wrong request about formats or paths (an unknown type
// name, a conversion sv does not do, an --extract path that does not fit
// the format): the caller's mistake, not the file's. Hint, if not empty,
// says what to do instead.
type FormatError struct{ Msg, Hint string }

func (e *FormatError) Error() string { return e.Msg }

// ParseFormat parses a type name as --input-type takes it ("" is
// FormatAuto; yml and env are accepted spellings). An unknown name is a
// *FormatError.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "":
		return FormatAuto, nil
	case "yaml", "yml":
		return FormatYAML, nil
	case "json":
		return FormatJSON, nil
	case "dotenv", "env":
		return FormatDotenv, nil
	case "ini":
		return FormatINI, nil
	case "binary":
		return FormatBinary, nil
	}
	return "", &FormatError{Msg: fmt.Sprintf("unknown type %q", s), Hint: "use yaml, json, dotenv, ini or binary"}
}

// FormatOf chooses the format of file, read as src: as if set, else by
// extension as sops does, keeping YAML for other extensions when the
// content is YAML (see the top of this file).
func FormatOf(file string, src []byte, as Format) Format {
	if as != FormatAuto {
		return as
	}
	f := ByExtension(file)
	switch {
	case f == FormatYAML:
		return f
	case f != FormatBinary:
		// A file sv encrypted as YAML before it knew this format stays YAML.
		if yamlwalk.IsEncrypted(src) && !f.IsEncrypted(src) {
			return FormatYAML
		}
		return f
	case isBinaryEnvelope(src):
		return FormatBinary
	case IsDotenvName(file) && dotenv.IsEncrypted(src):
		return FormatDotenv
	case yamlwalk.IsEncrypted(src) || yamlMapping(src):
		return FormatYAML
	}
	return FormatBinary
}

// IsDotenvName reports whether file is named like a dotenv file without
// the .env extension: .env.production, .env.local, app.env.staging. Such
// a file is binary for sops (and for sv encrypt without --input-type
// dotenv); once it is a sops dotenv file, FormatOf reads it as one.
func IsDotenvName(file string) bool {
	return strings.Contains(strings.ToLower(filepath.Base(file)), ".env.")
}

// ByExtension is the format sops gives file by its extension alone
// (case-insensitive): binary for anything but .yaml/.yml, .json, .env and
// .ini.
func ByExtension(file string) Format {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return FormatYAML
	case ".json":
		return FormatJSON
	case ".env":
		return FormatDotenv
	case ".ini":
		return FormatINI
	}
	return FormatBinary
}

// IsCheckedName reports whether sv check looks at a file it finds in a
// tree: YAML, JSON, dotenv and INI files (a binary file is checked when
// named, or when it is encrypted).
func IsCheckedName(name string) bool {
	switch ByExtension(name) {
	case FormatYAML, FormatJSON, FormatDotenv, FormatINI:
		return true
	}
	return false
}

// yamlMapping reports whether the first document of src is a mapping
// with scalar keys, a file sv can encrypt as YAML (a Helm template such as
// "key: {{ .Values.x }}" reads as a mapping with a mapping for a key).
func yamlMapping(src []byte) bool {
	var n yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&n); err != nil {
		return false
	}
	return len(n.Content) == 1 && n.Content[0].Kind == yaml.MappingNode && scalarKeys(n.Content[0], 0)
}

func scalarKeys(n *yaml.Node, depth int) bool {
	if depth > 100 {
		return true // deep enough: let the YAML reader decide
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind != yaml.ScalarNode && c.Kind != yaml.AliasNode {
			return false
		}
		if !scalarKeys(c, depth+1) {
			return false
		}
	}
	return true
}

// isBinaryEnvelope reports whether src is sops's binary format: a JSON
// object of exactly "data" and "sops".
func isBinaryEnvelope(src []byte) bool {
	if !binfile.IsEncrypted(src) {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(src, &m) != nil || len(m) != 2 {
		return false
	}
	_, d := m["data"]
	_, s := m["sops"]
	return d && s
}

// store is one file format's implementation of the SOPS format: sops's
// stores, with sv's text preservation where the format allows.
type store struct {
	isEncrypted func(src []byte) bool
	encrypt     func(src []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error)
	decrypt     func(src []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error)
	inspect     func(src []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error)
}

// stores maps each format to its store; FormatAuto and FormatYAML are
// YAML.
var stores = map[Format]store{
	FormatYAML:   {yamlwalk.IsEncrypted, yamlwalk.Encrypt, yamlwalk.Decrypt, yamlwalk.Inspect},
	FormatJSON:   {jsonfile.IsEncrypted, jsonfile.Encrypt, jsonfile.Decrypt, jsonfile.Inspect},
	FormatDotenv: {dotenv.IsEncrypted, dotenv.Encrypt, dotenv.Decrypt, dotenv.Inspect},
	FormatINI:    {inifile.IsEncrypted, inifile.Encrypt, inifile.Decrypt, inifile.Inspect},
	FormatBinary: {isBinaryEnvelope, encryptBinary, binfile.Decrypt, inspectBinary},
}

func (f Format) store() store {
	if st, ok := stores[f]; ok {
		return st
	}
	return stores[FormatYAML]
}

// encryptBinary encrypts a binary file; one that is encrypted already,
// whole, has nothing to add.
func encryptBinary(src []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	if isBinaryEnvelope(src) {
		return &yamlwalk.Result{Out: src}, nil
	}
	return binfile.Encrypt(src, opt)
}

// inspectBinary inspects a binary file: one that is not encrypted holds no
// values to show.
func inspectBinary(src []byte, _ yamlwalk.Rules) (*yamlwalk.Info, error) {
	if !isBinaryEnvelope(src) {
		return &yamlwalk.Info{}, nil
	}
	return binfile.Inspect(src)
}

// IsEncrypted reports whether src is a sops file of format f.
func (f Format) IsEncrypted(src []byte) bool { return f.store().isEncrypted(src) }

// Encrypt is yamlwalk.Encrypt for format f.
func (f Format) Encrypt(src []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return f.store().encrypt(src, opt)
}

// Decrypt is yamlwalk.Decrypt for format f.
func (f Format) Decrypt(src []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	return f.store().decrypt(src, opt)
}

// Inspect is yamlwalk.Inspect for format f: what can be told without a
// key.
func (f Format) Inspect(src []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	return f.store().inspect(src, rules)
}

// IsEncrypted reports whether src is a sops file of its format. With
// file == "" the format is told by the content (any format's sops
// metadata counts).
func IsEncrypted(file string, src []byte) bool {
	if file == "" {
		return yamlwalk.IsEncrypted(src) || isBinaryEnvelope(src) || jsonfile.IsEncrypted(src) || dotenv.IsEncrypted(src) || inifile.IsEncrypted(src)
	}
	return FormatOf(file, src, FormatAuto).IsEncrypted(src)
}

// Inspect is yamlwalk.Inspect for file, read as src, in its format
// (status, updatekeys, the audit). With file == "" the format is told by
// the content (a sops file of each format has its own metadata), YAML
// otherwise.
func Inspect(file string, src []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	if file != "" {
		return FormatOf(file, src, FormatAuto).Inspect(src, rules)
	}
	switch {
	case yamlwalk.IsEncrypted(src):
	case isBinaryEnvelope(src):
		return binfile.Inspect(src)
	case jsonfile.IsEncrypted(src) && jsonText(src):
		return jsonfile.Inspect(src, rules)
	case dotenv.IsEncrypted(src):
		return dotenv.Inspect(src, rules)
	case inifile.IsEncrypted(src):
		return inifile.Inspect(src, rules)
	}
	return yamlwalk.Inspect(src, rules)
}

// Extract is --extract for a decrypted file of format f: for YAML the
// value at path (ExtractYAML); for JSON the value (a string as is,
// anything else as JSON); for dotenv a key's value as sops gives it. A
// path that does not fit is a *FormatError.
func Extract(f Format, text []byte, path string) ([]byte, error) {
	switch f {
	case FormatJSON:
		p, err := yamlwalk.ParseValuePath(path)
		if err != nil {
			return nil, &FormatError{Msg: err.Error(), Hint: pathHint}
		}
		return jsonfile.Extract(text, jsonSteps(p))
	case FormatDotenv:
		p, err := yamlwalk.ParseValuePath(path)
		if err != nil || len(p) != 1 || p[0].IsIndex {
			return nil, &FormatError{Msg: "a dotenv file's --extract path is one key", Hint: `e.g. --extract DB_PASSWORD or --extract '["DB_PASSWORD"]'`}
		}
		return dotenv.Extract(text, p[0].Key)
	case FormatINI, FormatBinary:
		return nil, &FormatError{Msg: fmt.Sprintf("--extract does not apply to %s files", f)}
	}
	return ExtractYAML(text, path)
}

const pathHint = `write the path as db.password, hosts[0] or ["db"]["password"]`

// SetValue is sv set's change to text, the plaintext of file, in the
// syntax plainFormat gives it: a value by path in YAML and JSON; one name
// in dotenv (written as it is, or double-quoted when it holds other
// characters than letters, digits and _-.,:/@+=%^~); section.key in INI
// (sops's ["section"]["key"]; values are text, typ does not apply); data
// in a binary file (sops's ["data"]: value is the new contents).
func SetValue(file string, text []byte, p yamlwalk.ValuePath, typ, value string) ([]byte, error) {
	switch plainFormat(file, text) {
	case FormatJSON:
		return jsonfile.SetValue(text, jsonSteps(p), typ, value)
	case FormatDotenv:
		if len(p) != 1 || p[0].IsIndex {
			return nil, errors.New("a dotenv file's path is one name")
		}
		if typ != "" && typ != crypt.TypeStr {
			return nil, errors.New("dotenv values are text: --type does not apply")
		}
		return dotenv.SetValue(text, p[0].Key, value)
	case FormatINI:
		sec, key, err := iniPath(p)
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, errors.New(`an INI path is section.key (["section"]["key"]): a section holds keys, not a value`)
		}
		return inifile.SetValue(text, sec, key, value)
	case FormatBinary:
		if len(p) != 1 || p[0].IsIndex {
			return nil, binfile.ErrPath
		}
		return binfile.SetValue([]string{p[0].Key}, value)
	}
	return yamlwalk.SetValue(text, p, typ, value)
}

// DeleteValue is sv unset's change (see SetValue); in INI a path of one
// name removes that section. A binary file's one value cannot be removed.
func DeleteValue(file string, text []byte, p yamlwalk.ValuePath) ([]byte, error) {
	switch plainFormat(file, text) {
	case FormatJSON:
		return jsonfile.DeleteValue(text, jsonSteps(p))
	case FormatDotenv:
		if len(p) != 1 || p[0].IsIndex {
			return nil, errors.New("a dotenv file's path is one name")
		}
		return dotenv.DeleteValue(text, p[0].Key)
	case FormatINI:
		sec, key, err := iniPath(p)
		if err != nil {
			return nil, err
		}
		return inifile.DeleteValue(text, sec, key)
	case FormatBinary:
		return nil, errors.New("a binary file's one value, data, cannot be unset (remove the file, or set new contents)")
	}
	return yamlwalk.DeleteValue(text, p)
}

// plainFormat is the syntax sv set and unset change the plaintext text of
// file in: its format by extension, except that a .json file holding YAML
// (sv encrypted it as YAML before it knew JSON) is YAML, and for a file
// sops encrypts as binary: a name like .env.production is dotenv (its
// plaintext is a dotenv file whether it was encrypted as dotenv or
// binary), a YAML mapping is YAML (values.prod, *.yaml.gotmpl); anything
// else is binary.
func plainFormat(file string, text []byte) Format {
	switch f := ByExtension(file); {
	case f == FormatJSON && !jsonText(text):
		return FormatYAML
	case f == FormatBinary && IsDotenvName(file):
		return FormatDotenv
	case f == FormatBinary && yamlMapping(text):
		return FormatYAML
	default:
		return f
	}
}

// iniPath splits an INI value path: section, and key ("" for a path of
// the section alone).
func iniPath(p yamlwalk.ValuePath) (sec, key string, err error) {
	for _, st := range p {
		if st.IsIndex {
			return "", "", errors.New("an INI path is section.key (sops's [\"section\"][\"key\"]): no list indexes")
		}
	}
	switch len(p) {
	case 1:
		return p[0].Key, "", nil
	case 2:
		return p[0].Key, p[1].Key, nil
	}
	return "", "", errors.New(`an INI path is section.key (sops's ["section"]["key"])`)
}

func jsonSteps(p yamlwalk.ValuePath) []jsonfile.Step {
	var steps []jsonfile.Step
	for _, st := range p {
		steps = append(steps, jsonfile.Step{Key: st.Key, Index: st.Index, IsIndex: st.IsIndex})
	}
	return steps
}

// jsonText reports whether a .json file's plaintext is JSON (an object),
// not YAML that sv encrypted before it knew JSON.
func jsonText(text []byte) bool {
	t := bytes.TrimLeft(text, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// CommentsEncrypted reports whether a file holds comments encrypted the
// sops way (#ENC[…] comments, or ENC[…,type:comment] items in lists): a
// rewrite of such a file encrypts its comments again, so none becomes
// readable.
func CommentsEncrypted(src []byte) bool {
	return bytes.Contains(src, []byte("#ENC[AES256_GCM,")) || bytes.Contains(src, []byte(",type:comment]"))
}

// The audit (sv log, sv status --ages) reads every version of a file in
// its format; audit sits below this package, so its hooks are set here.
func init() {
	audit.InspectFile = Inspect
	audit.EncryptedFile = IsEncrypted
}
