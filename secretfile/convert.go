package secretfile

// Conversion between formats (--output-type), as sops converts: the
// plaintext read into a tree by the source format and written by the
// target's own encoder. Values convert; text (comments, quoting, layout)
// cannot. Every writer reads its output back and compares it value by
// value.

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/formats/binfile"
	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
	"github.com/sv-secrets/sv/formats/sopsfile"
)

// ConvertError is a value that does not fit the target format, named by
// its path (never its value).
type ConvertError = sopsfile.ConvertError

type converter struct {
	read  func(text []byte) (any, error)
	write func(tree any) ([]byte, error)
}

var converters = map[Format]converter{
	FormatYAML:   {sopsfile.YAMLTree, sopsfile.YAMLText},
	FormatJSON:   {sopsfile.JSONTree, sopsfile.JSONText},
	FormatDotenv: {dotenv.Tree, dotenv.FromTree},
	FormatINI:    {inifile.Tree, inifile.FromTree},
	FormatBinary: {binfile.Tree, binfile.FromTree},
}

// Converts reports whether plaintext of format from is written as to:
// to is set and differs from from.
func Converts(from, to Format) bool {
	return to != FormatAuto && to != from
}

// Convert writes text, the plaintext of a file of format from, in format
// to (unchanged when !Converts(from, to)). A value that does not fit is a
// *ConvertError naming its path.
func Convert(text []byte, from, to Format) ([]byte, error) {
	if !Converts(from, to) {
		return text, nil
	}
	if from == FormatAuto {
		from = FormatYAML
	}
	r, ok := converters[from]
	w, ok2 := converters[to]
	if !ok || !ok2 {
		return nil, errors.New("secretfile: unknown format")
	}
	tree, err := r.read(text)
	if err != nil {
		return nil, err
	}
	return w.write(tree)
}

// envINI is exec-env's reading of an INI file: the keys of the default
// section as they are, other sections' keys as SECTION_KEY, as a YAML
// mapping of the same shape flattens (sops's exec-env refuses INI files).
func envINI(text []byte, prefix string) ([]EnvVar, error) {
	tree, err := inifile.EnvTree(text)
	if err != nil {
		return nil, err
	}
	y, err := sopsfile.YAMLText(tree)
	if err != nil {
		return nil, err
	}
	return EnvVarsYAML(y, prefix)
}

// envBinary is exec-env's reading of a binary file, as sops exec-env
// reads it: one variable, data (after the prefix), holding the contents.
func envBinary(text []byte, prefix string) ([]EnvVar, error) {
	name := prefix + "data"
	if !validEnvName(name) {
		return nil, fmt.Errorf("%q is not a valid environment variable name", name)
	}
	if bytes.IndexByte(text, 0) >= 0 {
		return nil, errors.New("data: the file contains a NUL byte, which an environment variable cannot hold (use exec-file)")
	}
	return []EnvVar{{Name: name, Value: string(text), Path: "data"}}, nil
}
