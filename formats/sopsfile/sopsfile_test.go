package sopsfile

import (
	"errors"
	"reflect"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/fakewrap"
	"github.com/sv-secrets/sv/yamlwalk"
)

func TestFlattenRoundTrip(t *testing.T) {
	m := &yamlwalk.Metadata{
		KeyGroups: []crypt.KeyGroup{{Age: []crypt.AgeKey{{Recipient: "age1a", Enc: fakewrap.Armored("a")}}}, {Age: []crypt.AgeKey{{Recipient: "age1b", Enc: fakewrap.Armored("b")}, {Recipient: "age1c", Enc: fakewrap.Armored("c")}}}},
		Grouped:   true, ShamirThreshold: 2, LastModified: "2026-01-02T03:04:05Z", MAC: "ENC[x]", Version: "3.13.3",
		Rules: yamlwalk.Rules{EncryptedRegex: "^pw", MACOnlyEncrypted: true},
	}
	tree, err := MetadataTree(m)
	if err != nil {
		t.Fatal(err)
	}
	kvs := Flatten(tree, "")
	want := []string{"encrypted_regex", "key_groups__list_0__map_age__list_0__map_enc", "key_groups__list_0__map_age__list_0__map_recipient",
		"key_groups__list_1__map_age__list_0__map_enc", "key_groups__list_1__map_age__list_0__map_recipient",
		"key_groups__list_1__map_age__list_1__map_enc", "key_groups__list_1__map_age__list_1__map_recipient",
		"lastmodified", "mac", "mac_only_encrypted", "shamir_threshold", "version"}
	var got []string
	for _, kv := range kvs {
		got = append(got, kv.Key)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v\nwant %v", got, want)
	}
	o, err := Unflatten(kvs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseMetadata(o)
	if err != nil {
		t.Fatal(err)
	}
	if back.ShamirThreshold != 2 || !back.Grouped || len(back.KeyGroups) != 2 || back.KeyGroups[1].Age[1].Recipient != "age1c" ||
		!back.Rules.MACOnlyEncrypted || back.Rules.EncryptedRegex != "^pw" || back.MAC != "ENC[x]" {
		t.Errorf("round trip: %+v", back)
	}
}

func TestParseMetadataRefuses(t *testing.T) {
	ok := Object{{"age", []any{Object{{"enc", fakewrap.Armored("r")}, {"recipient", "r"}}}}, {"lastmodified", "2026-01-02T03:04:05Z"}, {"mac", "m"}, {"version", "3.13.3"}}
	if _, err := ParseMetadata(ok); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Object{
		"no version":  ok[:3],
		"bad time":    {ok[0], {"lastmodified", "yesterday"}, ok[2], ok[3]},
		"no keys":     ok[1:],
		"two rules":   append(append(Object{}, ok...), Member{"encrypted_regex", "a"}, Member{"unencrypted_suffix", "b"}),
		"age not map": {{"age", []any{"x"}}, ok[1], ok[2], ok[3]},
	} {
		var me *yamlwalk.MetadataError
		if _, err := ParseMetadata(o); !errors.As(err, &me) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Unflatten([]KV{{"a__list_1", "x"}}); err == nil {
		t.Error("a list with a gap")
	}
}

func doc(text string, spans ...string) *Doc {
	d := &Doc{Text: []byte(text)}
	// spans: path=value pairs; each value's first occurrence after the
	// previous one.
	pos := 0
	for i := 0; i+1 < len(spans); i += 2 {
		j := indexFrom(text, spans[i+1], pos)
		d.Values = append(d.Values, Value{Path: spans[i], Start: j, End: j + len(spans[i+1])})
		pos = j + len(spans[i+1])
	}
	return d
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	panic(sub)
}

func TestMerge3(t *testing.T) {
	base := doc("a=1\nb=2\n", "a", "1", "b", "2")
	ours := doc("a=X\nb=2\n", "a", "X", "b", "2")
	theirs := doc("a=1\nb=Y\nc=3\n", "a", "1", "b", "Y", "c", "3")
	out, err := Merge3(base, ours, theirs)
	if err != nil || string(out) != "a=X\nb=Y\nc=3\n" {
		t.Fatalf("%q %v", out, err)
	}
	conflict := doc("a=1\nb=Z\n", "a", "1", "b", "Z")
	_, err = Merge3(base, conflict, theirs)
	var ce *ConflictError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Paths, []string{"b"}) {
		t.Fatalf("%v", err)
	}
	both := doc("a=1\nb=2\nd=4\n", "a", "1", "b", "2", "d", "4")
	if _, err := Merge3(base, both, theirs); !errors.Is(err, ErrStructure) {
		t.Fatalf("%v", err)
	}
}
