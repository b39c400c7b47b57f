package sopsfile

import (
	"encoding/json"
	"strings"
)

// JSONLayout is how a JSON file is written, for the sops object sv writes
// into it.
type JSONLayout struct {
	Multiline bool
	Base      string // indentation of the top-level members
	Unit      string // one more level
	EOL       string
	Colon     string // between a key and its value
	Comma     string // after a comma, on one line
}

// SopsJSON is the layout of sops's JSON and binary stores: json.Indent
// with a tab.
var SopsJSON = JSONLayout{Multiline: true, Unit: "\t", EOL: "\n", Colon: ": ", Comma: " "}

// WriteJSON writes v (an Object, []any or a scalar) as json.Indent would
// (sops's layout) in lay, at depth levels below the top-level members.
func WriteJSON(sb *strings.Builder, v any, lay JSONLayout, depth int) {
	nl := func(d int) {
		if lay.Multiline {
			sb.WriteString(lay.EOL + lay.Base + strings.Repeat(lay.Unit, d))
		}
	}
	sep := ","
	if !lay.Multiline {
		sep = "," + lay.Comma
	}
	switch x := v.(type) {
	case Object:
		if len(x) == 0 {
			sb.WriteString("{}")
			return
		}
		sb.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				sb.WriteString(sep)
			}
			nl(depth)
			k, _ := json.Marshal(m.Key)
			sb.Write(k)
			sb.WriteString(lay.Colon)
			WriteJSON(sb, m.Value, lay, depth+1)
		}
		nl(depth - 1)
		sb.WriteByte('}')
	case []any:
		if len(x) == 0 {
			sb.WriteString("[]")
			return
		}
		sb.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				sb.WriteString(sep)
			}
			nl(depth)
			WriteJSON(sb, e, lay, depth+1)
		}
		nl(depth - 1)
		sb.WriteByte(']')
	default:
		j, _ := json.Marshal(x)
		sb.Write(j)
	}
}
