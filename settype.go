package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// The type sv set gives a value: --type if given; else the type of the
// value it replaces, so "sv set f db.port 6000" keeps an int an int (said
// on standard error); else a string. --type json takes a typed JSON value
// as sops set does: 6000 is an int, 0.5 a float, true a bool, "6000" a
// string.

// existingType is the YAML type (int, float, bool, str) of the scalar at p
// in the first document of text, or "" if there is none.
func existingType(text []byte, p yamlwalk.ValuePath) string {
	docs, err := yamlDocs(text)
	if err != nil || len(docs) == 0 {
		return ""
	}
	n, _ := yamlwalk.Follow(docs[0], p)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
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

// jsonScalar reads a JSON string, number or boolean into sv's type and
// text.
func jsonScalar(value string) (typ, text string, err error) {
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

// setType decides the type of a value set without --type, and says why
// on the returned note ("" when the value simply stays a string).
func setType(text []byte, p yamlwalk.ValuePath, value string) (typ, note string) {
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

func article(typ string) string {
	if typ == crypt.TypeInt {
		return "an"
	}
	return "a"
}
