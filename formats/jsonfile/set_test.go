package jsonfile

import "testing"

func TestSetAndDelete(t *testing.T) {
	for _, c := range []struct {
		in   string
		path []Step
		typ  string
		val  string
		want string
	}{
		{`{"a":1}`, []Step{{Key: "b"}}, "str", "x", `{"a":1,"b":"x"}`},
		{`{}`, []Step{{Key: "a"}, {Key: "b"}}, "int", "7", `{"a": {"b": 7}}`},
		{"{\n\t\"a\": [1]\n}\n", []Step{{Key: "a"}, {Index: 1, IsIndex: true}}, "bool", "yes", ""},
		{"{\n\t\"a\": [1]\n}\n", []Step{{Key: "a"}, {Index: 1, IsIndex: true}}, "bool", "true", "{\n\t\"a\": [1,true]\n}\n"},
		{`{"a": "x\ny"}`, []Step{{Key: "a"}}, "str", "é\t\"", `{"a": "é\t\""}`},
		{`{"a": 1.5}`, []Step{{Key: "a"}}, "float", "1.50", `{"a": 1.50}`},
		{`{"a": {"b": 1}}`, []Step{{Key: "a"}}, "str", "x", ""},
	} {
		out, err := SetValue([]byte(c.in), c.path, c.typ, c.val)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s %v: set, want an error: %s", c.in, c.path, out)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("%s %v: %q %v, want %q", c.in, c.path, out, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		path []Step
		want string
	}{
		{`{"a": 1, "b": 2}`, []Step{{Key: "a"}}, `{"b": 2}`},
		{`{"a": 1, "b": 2}`, []Step{{Key: "b"}}, `{"a": 1}`},
		{"{\n  \"a\": 1\n}", []Step{{Key: "a"}}, "{}"},
		{`{"l": [1, 2, 3]}`, []Step{{Key: "l"}, {Index: 1, IsIndex: true}}, `{"l": [1, 3]}`},
	} {
		out, err := DeleteValue([]byte(c.in), c.path)
		if err != nil || string(out) != c.want {
			t.Errorf("delete %s %v: %q %v, want %q", c.in, c.path, out, err, c.want)
		}
	}
	if _, err := DeleteValue([]byte(`{"a": 1}`), []Step{{Key: "x"}}); err == nil {
		t.Error("deleted a missing key")
	}
}

func TestExtractAsSops(t *testing.T) {
	text := []byte(`{"a": {"b": "x", "n": 1.50}, "l": [1, {"c": true}]}`)
	for path, want := range map[string]string{
		"a":   "{\n\t\"b\": \"x\",\n\t\"n\": 1.50\n}\n",
		"l":   "[\n\t1,\n\t{\n\t\t\"c\": true\n\t}\n]",
		"a.b": "x",
		"a.n": "1.50",
	} {
		var steps []Step
		for _, k := range splitDots(path) {
			steps = append(steps, Step{Key: k})
		}
		got, err := Extract(text, steps)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q %v, want %q", path, got, err, want)
		}
	}
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
