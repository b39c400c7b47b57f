package secretfile

// sv set and sv unset: change one value of an encrypted file in place,
// every other value keeping its ciphertext.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// ChangeOptions are the caller's choices for Set and Unset.
type ChangeOptions struct {
	// Type is the type of Set's value: crypt.TypeStr, TypeInt, TypeFloat,
	// TypeBool, "json" (the value is a JSON string, number or boolean, as
	// sops set takes it), or "" for the type of the value it replaces if
	// the new value reads as one, else a string (see ChangeResult.Note).
	Type string
	// IgnoreMAC changes a file whose MAC does not verify (writing a new
	// MAC).
	IgnoreMAC bool
	// Keys opens the data key.
	Keys yamlwalk.KeySource
	// Write are the choices for writing the file back.
	Write WriteOptions
}

// ChangeResult is what Set or Unset did.
type ChangeResult struct {
	// Unchanged: the value already was what was asked; nothing written.
	Unchanged bool
	// Note says which type a value set without a Type got when that is
	// not simply a string ("db.port stays an int …"); paths only.
	Note string
	// Result is the re-encryption (its Warnings and Respelled paths);
	// nil when Unchanged or when it failed.
	*yamlwalk.Result
}

// Set sets the value at path of the encrypted file to value, re-encrypting
// it under the same data key (only that value gets new ciphertext) and
// writing it back with Replace. If another process changes the file
// meanwhile, the change is made again on top of theirs (a few times), so
// neither update is lost. On an error after the change was computed (the
// write) the result is not nil, for its note and warnings.
//
// A Type "json" value that is not a JSON scalar is a *FormatError.
func Set(file string, path yamlwalk.ValuePath, value string, o ChangeOptions) (*ChangeResult, error) {
	typ := o.Type
	if typ == "json" {
		var err error
		if typ, value, err = JSONScalar(value); err != nil {
			return nil, &FormatError{Msg: err.Error()}
		}
	}
	note := ""
	res, err := change(file, o, func(text []byte) ([]byte, error) {
		t := typ
		if t == "" {
			var n string
			if t, n = SetType(text, path, value); note == "" {
				note = n // the first try's: a retry changes the same value
			}
		}
		return SetValue(file, text, path, t, value)
	})
	if res != nil {
		res.Note = note
	}
	return res, err
}

// Unset removes the value at path (a mapping key with everything under it,
// or a list item) from the encrypted file, as Set changes one.
func Unset(file string, path yamlwalk.ValuePath, o ChangeOptions) (*ChangeResult, error) {
	return change(file, o, func(text []byte) ([]byte, error) {
		return DeleteValue(file, text, path)
	})
}

// change applies edit to file's plaintext and writes the result, retrying
// on *ChangedError.
func change(file string, o ChangeOptions, edit func([]byte) ([]byte, error)) (*ChangeResult, error) {
	var (
		res *ChangeResult
		err error
	)
	for range 5 {
		res, err = changeOnce(file, o, edit)
		var ce *ChangedError
		if !errors.As(err, &ce) {
			break
		}
	}
	return res, err
}

func changeOnce(file string, o ChangeOptions, edit func([]byte) ([]byte, error)) (*ChangeResult, error) {
	src, err := Read(file)
	if err != nil {
		return nil, err
	}
	if !IsEncrypted(file, src) {
		return nil, fileError(file, yamlwalk.ErrNotEncrypted)
	}
	dec, err := Decrypt(file, src, DecryptOptions{IgnoreMAC: o.IgnoreMAC, Keys: o.Keys})
	if err != nil {
		return nil, err
	}
	text, err := edit(dec.Text)
	if err != nil {
		return &ChangeResult{}, fileError(file, err)
	}
	if bytes.Equal(text, dec.Text) {
		return &ChangeResult{Unchanged: true}, nil
	}
	res, err := Reencrypt(file, src, text, dec, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: CommentsEncrypted(src)})
	if err != nil {
		return &ChangeResult{}, fileError(file, err)
	}
	return &ChangeResult{Result: res}, Replace(file, src, yamlwalk.KeepMetadataText(src, res.Out), o.Write)
}

// JSONScalar reads a JSON string, number or boolean (sops set's value)
// into sv's type and text: 6000 is an int, 0.5 a float, true a bool,
// "6000" a string.
func JSONScalar(value string) (typ, text string, err error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return "", "", errors.New("--type json: VALUE is not a JSON value (strings need their quotes: '\"text\"')")
	}
	switch x := v.(type) {
	case string:
		return crypt.TypeStr, x, nil
	case bool:
		return crypt.TypeBool, fmt.Sprint(x), nil
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return crypt.TypeInt, x.String(), nil
		}
		return crypt.TypeFloat, x.String(), nil
	}
	return "", "", errors.New("--type json: VALUE must be a JSON string, number or boolean (sv sets one value)")
}

// SetType is the type of a value set without a type: that of the value it
// replaces in text (a plaintext) if value reads as one, so "sv set f
// db.port 6000" keeps an int an int, else a string. note says why when the
// type is not simply a string ("" otherwise).
func SetType(text []byte, p yamlwalk.ValuePath, value string) (typ, note string) {
	old := existingType(text, p)
	switch old {
	case "", crypt.TypeStr:
		return crypt.TypeStr, ""
	}
	if _, err := yamlwalk.ScalarText(old, value); err == nil {
		return old, fmt.Sprintf("%s stays %s %s (--type str makes it a string)", p, article(old), old)
	}
	return crypt.TypeStr, fmt.Sprintf("%s was %s %s; the new value is not one, so it is now a string (--type sets the type)", p, article(old), old)
}

// existingType is the YAML type (int, float, bool, str) of the scalar at p
// in the first document of text, or "" if there is none. JSON reads as
// YAML here; a dotenv or INI file's values are text and do not parse.
func existingType(text []byte, p yamlwalk.ValuePath) string {
	docs, err := yamlDocs(text)
	if err != nil || len(docs) == 0 {
		return ""
	}
	n, _ := yamlwalk.Follow(docs[0], p)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	switch n.ShortTag() {
	case "!!int":
		return crypt.TypeInt
	case "!!float":
		return crypt.TypeFloat
	case "!!bool":
		return crypt.TypeBool
	case "!!str":
		return crypt.TypeStr
	}
	return ""
}

func article(typ string) string {
	if typ == crypt.TypeInt {
		return "an"
	}
	return "a"
}
