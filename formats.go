package main

// File formats other than YAML (issue 15): JSON, dotenv, INI and binary,
// chosen by extension as sops chooses them, or with --input-type.
//
// sops treats every file that is not .yaml/.yml/.json/.env/.ini as binary.
// sv has always treated such files (values.prod, *.yaml.gotmpl) as YAML;
// to keep them working, a file with another extension stays YAML when it is
// a YAML mapping or a sops YAML file, and is binary otherwise (a
// certificate, a key, any non-YAML text), or when it is a sops binary
// envelope. --input-type binary (or yaml) decides explicitly.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/binfile"
	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
	"github.com/sv-secrets/sv/formats/jsonfile"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"
)

type fileFormat string

const (
	formatAuto   fileFormat = ""
	formatYAML   fileFormat = "yaml"
	formatJSON   fileFormat = "json"
	formatDotenv fileFormat = "dotenv"
	formatINI    fileFormat = "ini"
	formatBinary fileFormat = "binary"
)

var typeFlags = []cli.Flag{
	&cli.StringFlag{Name: "input-type", Usage: "read the file as `TYPE`: yaml, json, dotenv, ini or binary (default: by extension, as sops)"},
	&cli.StringFlag{Name: "output-type", Usage: "write `TYPE`; sv does not convert, so it must be the input's type"},
}

func parseFormat(s string) (fileFormat, error) {
	switch strings.ToLower(s) {
	case "":
		return formatAuto, nil
	case "yaml", "yml":
		return formatYAML, nil
	case "json":
		return formatJSON, nil
	case "dotenv", "env":
		return formatDotenv, nil
	case "ini":
		return formatINI, nil
	case "binary":
		return formatBinary, nil
	}
	return "", &usageError{msg: fmt.Sprintf("unknown type %q", s), hint: "use yaml, json, dotenv, ini or binary"}
}

// typeOverride reads --input-type (and checks --output-type's spelling).
func typeOverride(c *cli.Context) (fileFormat, error) {
	if _, err := parseFormat(c.String("output-type")); err != nil {
		return "", err
	}
	return parseFormat(c.String("input-type"))
}

// checkOutputType refuses an --output-type other than the file's format:
// sv does not convert.
func checkOutputType(c *cli.Context, in fileFormat) error {
	out, err := parseFormat(c.String("output-type"))
	if err != nil || out == formatAuto || out == in {
		return err
	}
	return &usageError{msg: fmt.Sprintf("sv does not convert between formats (the file is %s, --output-type %s)", in, out),
		hint: "decrypt with sv and convert the plaintext, or give the file's own type"}
}

// formatOf chooses the store for file: as (from --input-type) if set,
// else by extension as sops does, keeping YAML for other extensions when
// the content is YAML (see the top of this file).
func formatOf(file string, src []byte, as fileFormat) fileFormat {
	if as != formatAuto {
		return as
	}
	f := byExtension(file)
	switch {
	case f == formatYAML:
		return f
	case f != formatBinary:
		// A file sv encrypted as YAML before it knew this format stays YAML.
		if yamlwalk.IsEncrypted(src) && !encryptedAs(f, src) {
			return formatYAML
		}
		return f
	case isBinaryEnvelope(src):
		return formatBinary
	case yamlwalk.IsEncrypted(src) || yamlMapping(src):
		return formatYAML
	}
	return formatBinary
}

func byExtension(file string) fileFormat {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return formatYAML
	case ".json":
		return formatJSON
	case ".env":
		return formatDotenv
	case ".ini":
		return formatINI
	}
	return formatBinary
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

// stores maps each format to its store; formatAuto and formatYAML are
// YAML.
var stores = map[fileFormat]store{
	formatYAML:   {yamlwalk.IsEncrypted, yamlwalk.Encrypt, yamlwalk.Decrypt, yamlwalk.Inspect},
	formatJSON:   {jsonfile.IsEncrypted, jsonfile.Encrypt, jsonfile.Decrypt, jsonfile.Inspect},
	formatDotenv: {dotenv.IsEncrypted, dotenv.Encrypt, dotenv.Decrypt, dotenv.Inspect},
	formatINI:    {inifile.IsEncrypted, inifile.Encrypt, inifile.Decrypt, inifile.Inspect},
	formatBinary: {isBinaryEnvelope, encryptBinary, binfile.Decrypt, inspectBinary},
}

// storeOf is the store of format f.
func storeOf(f fileFormat) store {
	if st, ok := stores[f]; ok {
		return st
	}
	return stores[formatYAML]
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

func encryptedAs(f fileFormat, src []byte) bool { return storeOf(f).isEncrypted(src) }
func encryptFormat(f fileFormat, src []byte, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	return storeOf(f).encrypt(src, opt)
}
func decryptFormat(f fileFormat, src []byte, opt yamlwalk.DecryptOptions) (*yamlwalk.Decrypted, error) {
	return storeOf(f).decrypt(src, opt)
}

// decryptFile decrypts src, read from file, in its format (as, or chosen
// by formatOf). It is the hook for every read-only decrypt (decrypt,
// exec-file, Helm's downloader, several files at once).
func decryptFile(file string, src []byte, keys yamlwalk.KeySource, ignoreMAC bool, as fileFormat) (*yamlwalk.Decrypted, error) {
	return decryptFormat(formatOf(file, src, as), src, yamlwalk.DecryptOptions{Keys: keys, IgnoreMAC: ignoreMAC})
}

// extractFormat is --extract for a decrypted file of format f: YAML as
// before; for JSON the value (a string as is, anything else as JSON); for
// dotenv a key's value as sops gives it.
func extractFormat(f fileFormat, text []byte, path string) ([]byte, error) {
	switch f {
	case formatJSON:
		p, err := yamlwalk.ParseValuePath(path)
		if err != nil {
			return nil, &usageError{msg: err.Error(), hint: `write the path as db.password, hosts[0] or ["db"]["password"]`}
		}
		var steps []jsonfile.Step
		for _, st := range p {
			steps = append(steps, jsonfile.Step{Key: st.Key, Index: st.Index, IsIndex: st.IsIndex})
		}
		return jsonfile.Extract(text, steps)
	case formatDotenv:
		p, err := yamlwalk.ParseValuePath(path)
		if err != nil || len(p) != 1 || p[0].IsIndex {
			return nil, &usageError{msg: "a dotenv file's --extract path is one key", hint: `e.g. --extract DB_PASSWORD or --extract '["DB_PASSWORD"]'`}
		}
		return dotenv.Extract(text, p[0].Key)
	case formatINI, formatBinary:
		return nil, &usageError{msg: fmt.Sprintf("--extract does not apply to %s files", f)}
	}
	return extractValue(text, path)
}

// envVarsFor is exec-env's reading of a decrypted file: a dotenv file's
// variables as dotenv loaders read them (see dotenv.Vars; --prefix is put
// before each name, a later line wins over an earlier one), YAML and JSON
// through envVars.
func envVarsFor(file string, src, text []byte, prefix string) ([]envVar, error) {
	switch formatOf(file, src, formatAuto) {
	case formatDotenv:
	case formatINI, formatBinary:
		return nil, errors.New("exec-env reads YAML, JSON and dotenv files (use exec-file for this one)")
	default:
		return envVars(text, prefix)
	}
	vs, err := dotenv.Vars(text)
	if err != nil {
		return nil, err
	}
	var out []envVar
	at := map[string]int{}
	for _, v := range vs {
		name := prefix + v.Name
		if !validEnvName(name) {
			return nil, fmt.Errorf("line %d: %q is not a valid environment variable name", v.Line, name)
		}
		if strings.IndexByte(v.Value, 0) >= 0 {
			return nil, fmt.Errorf("%s: the value contains a NUL byte, which an environment variable cannot hold", v.Name)
		}
		ev := envVar{name: name, value: v.Value, path: v.Name}
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

// textconvOther is textconv for JSON, dotenv, INI and binary files: the
// plaintext for those who hold a key, the file as it is (its values are
// ENC strings already) for the others.
func textconvOther(file string, src []byte, f fileFormat) ([]byte, string) {
	if !encryptedAs(f, src) {
		return src, ""
	}
	kr, err := loadKeyring()
	if err != nil {
		return src, "showing the encrypted file: cannot load keys: " + err.Error()
	}
	dec, err := decryptFormat(f, src, yamlwalk.DecryptOptions{Keys: kr})
	if err != nil {
		var nk *crypt.NoKeyError
		if errors.As(err, &nk) {
			return src, ""
		}
		return src, "showing the raw file: " + err.Error()
	}
	return dec.Text, ""
}

// encryptedFile reports whether src, read from file, is a sops file of
// its format.
func encryptedFile(file string, src []byte) bool {
	return encryptedAs(formatOf(file, src, formatAuto), src)
}

// inspectFile is yamlwalk.Inspect for a file of any format (status,
// updatekeys).
func inspectFile(file string, src []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
	return storeOf(formatOf(file, src, formatAuto)).inspect(src, rules)
}

// applyKeysOther is updatekeys's applyKeys for JSON, dotenv, INI and binary
// files: the data key wrapped for the plan's recipients in a new metadata
// block, values, MAC and lastmodified untouched, checked by decrypting the
// result with the same data key.
func applyKeysOther(p *keyPlan, keys yamlwalk.KeySource, f fileFormat) error {
	dec, err := decryptFormat(f, p.src, yamlwalk.DecryptOptions{Keys: keys})
	if err != nil {
		return err
	}
	groups, err := wrapKeyGroups(dec.Key, p.target, p.thresh)
	if err != nil {
		return err
	}
	m := *p.meta
	m.KeyGroups, m.Grouped, m.ShamirThreshold = groups, len(groups) > 1, p.thresh
	if f == formatBinary {
		m.Rules = yamlwalk.Rules{} // sops writes none for a binary file
	}
	var out []byte
	switch f {
	case formatJSON:
		out, err = jsonfile.ReplaceMetadata(p.src, &m)
	case formatDotenv:
		out, err = dotenv.ReplaceMetadata(p.src, &m)
	case formatINI:
		out, err = inifile.ReplaceMetadata(p.src, &m)
	case formatBinary:
		out, err = binfile.ReplaceMetadata(p.src, &m)
	default:
		return fmt.Errorf("updatekeys: unexpected format %s", f)
	}
	if err != nil {
		return err
	}
	back, err := decryptFormat(f, out, yamlwalk.DecryptOptions{Keys: fixedKey(dec.Key)})
	if err != nil {
		return fmt.Errorf("the rewritten file does not decrypt; nothing written (please report this): %w", err)
	}
	if !bytes.Equal(back.Text, dec.Text) || back.Metadata.MAC != p.meta.MAC || back.Metadata.LastModified != p.meta.LastModified {
		return errors.New("the rewritten file changed values or its mac; nothing written (please report this)")
	}
	return replaceFile(p.file, p.src, out)
}

// reencryptOther is rotate for JSON, dotenv, INI and binary files: the
// plaintext encrypted again, under a new data key, for groups, with the
// file's rules; Encrypt checks its own output.
func reencryptOther(f fileFormat, src []byte, dec *yamlwalk.Decrypted, groups [][]crypt.Recipient, thresh int) (*yamlwalk.Result, error) {
	rules := dec.Metadata.Rules
	if f == formatBinary {
		rules = yamlwalk.Rules{}
	}
	opt := yamlwalk.EncryptOptions{Rules: rules, KeyGroups: groups, ShamirThreshold: thresh, Now: time.Now(),
		EncryptComments: commentsEncrypted(src)}
	// Wrapping touches the recipients' keys (plugins, hardware): one file
	// at a time, as wrapKeyGroups does.
	keyLock.Lock()
	defer keyLock.Unlock()
	res, err := encryptFormat(f, dec.Text, opt)
	if err != nil {
		return nil, err
	}
	if f == formatINI {
		res.Warnings = nil // the plaintext is in the INI layout already
	}
	return res, nil
}

// reencryptFile encrypts plain, the edited plaintext of the encrypted file
// src (opened as dec), under the same data key and metadata; unchanged
// values keep their ciphertext (sv edit).
func reencryptFile(file string, src, plain []byte, dec *yamlwalk.Decrypted, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	switch formatOf(file, src, formatAuto) {
	case formatJSON:
		return jsonfile.Reencrypt(src, plain, dec.Key, opt)
	case formatDotenv:
		return dotenv.Reencrypt(src, plain, dec.Key, opt)
	case formatINI:
		return inifile.Reencrypt(src, plain, dec.Key, opt)
	case formatBinary:
		return binfile.Reencrypt(src, plain, dec.Key, opt)
	}
	return yamlwalk.Reencrypt(plain, dec, opt)
}

// mergeOther is the merge driver for JSON and dotenv files: the three
// versions decrypted in memory, merged value by value (sopsfile.Merge3),
// and encrypted again under the key side's data key, unchanged values
// keeping its ciphertexts.
func mergeOther(name string, f fileFormat, base, ours, theirs []byte, now time.Time) ([]byte, error) {
	var values func([]byte) (*sopsfile.Doc, error)
	switch f {
	case formatJSON:
		values = jsonfile.Values
	case formatDotenv:
		values = dotenv.Values
	default:
		return nil, fileError(name, fmt.Errorf("%s files are not merged value by value; merge it by hand", f))
	}
	kr, err := loadKeyring()
	if err != nil {
		return nil, fileError(name, err)
	}
	sides := [3]string{"base", "ours", "theirs"}
	src := [3][]byte{base, ours, theirs}
	var dec [3]*yamlwalk.Decrypted
	var docs [3]*sopsfile.Doc
	for _, i := range []int{1, 2, 0} {
		text := src[i]
		if encryptedAs(f, src[i]) {
			d, err := decryptFormat(f, src[i], yamlwalk.DecryptOptions{Keys: kr})
			if err != nil {
				return nil, fileError(name+" ("+sides[i]+")", err)
			}
			dec[i], text = d, d.Text
		}
		if i == 0 && len(bytes.TrimSpace(text)) == 0 {
			docs[i] = &sopsfile.Doc{}
			continue
		}
		if docs[i], err = values(text); err != nil {
			return nil, fileError(name+" ("+sides[i]+")", err)
		}
	}
	prev, err := mergeKeys(dec[0], dec[1], dec[2])
	if err != nil {
		return nil, fileError(name, err)
	}
	merged, err := sopsfile.Merge3(docs[0], docs[1], docs[2])
	if err != nil {
		var ce *sopsfile.ConflictError
		if errors.As(err, &ce) {
			return nil, &mergeConflict{name: name, paths: ce.Paths}
		}
		return nil, fileError(name, err)
	}
	keySide := src[1]
	for i, d := range dec {
		if d != nil && d == prev {
			keySide = src[i]
		}
	}
	res, err := reencryptFile(name, keySide, merged, prev, yamlwalk.EncryptOptions{Now: now, EncryptComments: commentsEncrypted(keySide)})
	if err != nil {
		return nil, fileError(name, err)
	}
	return res.Out, nil
}

// isCheckedName reports whether sv check looks at a file it finds in a
// tree: YAML, JSON, dotenv and INI files (a binary file is checked when
// named, or when it is encrypted).
func isCheckedName(name string) bool {
	switch byExtension(name) {
	case formatYAML, formatJSON, formatDotenv, formatINI:
		return true
	}
	return false
}

// setValueIn is sv set's change for a file of any format that has values
// by path: YAML, JSON, dotenv (one name; the value is written as it is, or
// double-quoted when it holds other characters than letters, digits and
// _-.,:/@+=%^~).
func setValueIn(file string, text []byte, p yamlwalk.ValuePath, typ, value string) ([]byte, error) {
	switch f := byExtension(file); {
	case f == formatJSON && jsonText(text):
		return jsonfile.SetValue(text, jsonSteps(p), typ, value)
	case f == formatDotenv:
		if len(p) != 1 || p[0].IsIndex {
			return nil, errors.New("a dotenv file's path is one name")
		}
		if typ != "" && typ != crypt.TypeStr {
			return nil, errors.New("dotenv values are text: --type does not apply")
		}
		return dotenv.SetValue(text, p[0].Key, value)
	case f == formatINI || f == formatBinary && !yamlMapping(text):
		return nil, fmt.Errorf("sv set and unset change YAML, JSON and dotenv files, not %s files (use sv edit)", f)
	}
	return yamlwalk.SetValue(text, p, typ, value)
}

// deleteValueIn is sv unset's change (see setValueIn).
func deleteValueIn(file string, text []byte, p yamlwalk.ValuePath) ([]byte, error) {
	switch f := byExtension(file); {
	case f == formatJSON && jsonText(text):
		return jsonfile.DeleteValue(text, jsonSteps(p))
	case f == formatDotenv:
		if len(p) != 1 || p[0].IsIndex {
			return nil, errors.New("a dotenv file's path is one name")
		}
		return dotenv.DeleteValue(text, p[0].Key)
	case f == formatINI || f == formatBinary && !yamlMapping(text):
		return nil, fmt.Errorf("sv set and unset change YAML, JSON and dotenv files, not %s files (use sv edit)", f)
	}
	return yamlwalk.DeleteValue(text, p)
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

// inspectAny is inspectFile for callers without a file name: the format
// is told by the content (a sops file of each format has its own
// metadata), YAML otherwise.
func inspectAny(src []byte) (*yamlwalk.Info, error) {
	return inspectAnyRules(src, yamlwalk.Rules{})
}

func inspectAnyRules(src []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
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

// The audit (sv log, sv status --ages) reads every version of a file in
// its format.
func init() {
	audit.InspectFile = func(path string, text []byte, rules yamlwalk.Rules) (*yamlwalk.Info, error) {
		if path == "" {
			return inspectAnyRules(text, rules)
		}
		return inspectFile(path, text, rules)
	}
	audit.EncryptedFile = func(path string, b []byte) bool {
		if path == "" {
			return yamlwalk.IsEncrypted(b) || isBinaryEnvelope(b) || jsonfile.IsEncrypted(b) || dotenv.IsEncrypted(b) || inifile.IsEncrypted(b)
		}
		return encryptedFile(path, b)
	}
}
