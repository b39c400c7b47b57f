package audit

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/fakewrap"
	"github.com/sv-secrets/sv/yamlwalk"
)

// enc is a syntactically valid ENC value; tag tells versions apart.
// Inspect never decrypts, so no key is involved.
func enc(tag string) string {
	return fmt.Sprintf("ENC[AES256_GCM,data:%s,iv:aXY=,tag:dGFn,type:str]", tag)
}

// sopsBlock is a sops metadata block for the recipients, each with a
// wrapped key labelled by wrap.
func sopsBlock(wrap string, recipients ...string) string {
	var b strings.Builder
	b.WriteString("sops:\n  age:\n")
	for _, r := range recipients {
		fmt.Fprintf(&b, "    - recipient: %s\n      enc: |\n%s", r, fakeWrapped(wrap+"-"+r))
	}
	b.WriteString("  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: " + enc("mac"+wrap) + "\n  unencrypted_suffix: _unencrypted\n  version: 3.13.3\n")
	return b.String()
}

// groupsBlock is a sops metadata block with key groups and a
// shamir_threshold (0: unset).
func groupsBlock(wrap string, threshold int, groups ...[]string) string {
	var b strings.Builder
	b.WriteString("sops:\n")
	if threshold > 0 {
		fmt.Fprintf(&b, "  shamir_threshold: %d\n", threshold)
	}
	b.WriteString("  key_groups:\n")
	for _, g := range groups {
		b.WriteString("    - age:\n")
		for _, r := range g {
			fmt.Fprintf(&b, "        - recipient: %s\n          enc: |\n", r)
			for _, l := range strings.Split(strings.TrimSpace(fakewrap.Armored(wrap+"-"+r)), "\n") {
				b.WriteString("            " + l + "\n")
			}
		}
	}
	b.WriteString("  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: " + enc("mac"+wrap) + "\n  unencrypted_suffix: _unencrypted\n  version: 3.13.3\n")
	return b.String()
}

// fakeWrapped is a wrapped key whose age header parses but opens for no
// one, indented for an enc: block; label tells wrappings apart.
func fakeWrapped(label string) string {
	var out strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(fakewrap.Armored(label)), "\n") {
		out.WriteString("        " + l + "\n")
	}
	return out.String()
}

func snap(t *testing.T, src string) *Snapshot {
	t.Helper()
	return NewSnapshot([]byte(src), yamlwalk.Rules{})
}

func strs(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	base := "db:\n  user: " + enc("u1") + "\n  password: " + enc("p1") + "\napi:\n  token: " + enc("t1") + "\n" + sopsBlock("k1", "age1alice")
	cases := []struct {
		name     string
		old, new string // old "" means the file is new
		want     []string
	}{
		{"new file", "", base, []string{"db.user added", "db.password added", "api.token added"}},
		{"unchanged", base, base, nil},
		{"one value", base, strings.Replace(base, enc("p1"), enc("p2"), 1), []string{"db.password changed"}},
		{"layout rewritten as sops does, one value changed", base,
			"# comment\ndb:\n    user: " + enc("u1") + "\n    password: " + enc("p2") + "\napi:\n    token: " + enc("t1") + " #" + enc("c") + "\n" + sopsBlock("k1", "age1alice"),
			[]string{"db.password changed"}},
		{"added and removed", base,
			"db:\n  user: " + enc("u1") + "\n  password: " + enc("p1") + "\n  host: " + enc("h1") + "\n" + sopsBlock("k1", "age1alice"),
			[]string{"db.host added", "api.token removed"}},
		{"recipient added, data key re-wrapped", base,
			strings.Replace(base, sopsBlock("k1", "age1alice"), sopsBlock("k2", "age1alice", "age1bob"), 1),
			[]string{"recipients: +age1bob"}},
		{"rotation", base,
			"db:\n  user: " + enc("u2") + "\n  password: " + enc("p2") + "\napi:\n  token: " + enc("t2") + "\n" + sopsBlock("k2", "age1alice"),
			[]string{"data key rotated (all 3 values re-encrypted)"}},
		{"rotation removing a recipient and adding a value", strings.Replace(base, sopsBlock("k1", "age1alice"), sopsBlock("k1", "age1alice", "age1bob"), 1),
			"db:\n  user: " + enc("u2") + "\n  password: " + enc("p2") + "\napi:\n  token: " + enc("t2") + "\n  extra: " + enc("e") + "\n" + sopsBlock("k2", "age1alice"),
			[]string{"data key rotated (all 3 values re-encrypted)", "recipients: -age1bob", "api.extra added"}},
		{"every value changed under the same data key", base,
			"db:\n  user: " + enc("u2") + "\n  password: " + enc("p2") + "\napi:\n  token: " + enc("t2") + "\n" + sopsBlock("k1", "age1alice"),
			[]string{"db.user changed", "db.password changed", "api.token changed"}},
		{"plaintext slipped in", base, strings.Replace(base, "api:\n", "api:\n  key: plain\n", 1), []string{"api.key in PLAINTEXT (should be encrypted)"}},
		{"plaintext encrypted", strings.Replace(base, "api:\n", "api:\n  key: plain\n", 1), strings.Replace(base, "api:\n", "api:\n  key: "+enc("k")+"\n", 1), []string{"api.key encrypted (was in plaintext)"}},
		{"unencrypted suffix ignored", base, strings.Replace(base, "api:\n", "api:\n  port_unencrypted: 80\n", 1), nil},
		{"decrypted and committed", base, "db:\n  user: app\n  password: x\n", []string{"NOT ENCRYPTED in this commit (2 values in plaintext)"}},
		{"new plaintext file", "", "a: 1\n", []string{"NOT ENCRYPTED in this commit (1 value in plaintext)"}},
		{"plaintext stays plaintext", "a: 1\n", "a: 2\n", nil},
		{"encrypted from plaintext", "db:\n  password: x\n", "db:\n  password: " + enc("p") + "\n" + sopsBlock("k1", "age1alice"), []string{"db.password encrypted (was in plaintext)"}},
		{"broken", base, "db: [", []string{"cannot read this version: line 1: invalid YAML: did not find expected node content"}},
		{"comment items are not values", "list:\n  - " + enc("a") + "\n" + sopsBlock("k1", "age1alice"),
			"list:\n  - " + enc("a") + "\n  - ENC[AES256_GCM,data:Yw==,iv:aXY=,tag:dGFn,type:comment]\n" + sopsBlock("k1", "age1alice"), nil},
		{"ssh key comment changed: the same recipient", strings.Replace(base, sopsBlock("k1", "age1alice"), sopsBlock("k1", "age1alice", "ssh-ed25519 AAAAkey dave@laptop"), 1),
			strings.Replace(base, sopsBlock("k1", "age1alice"), sopsBlock("k1", "age1alice", "ssh-ed25519 AAAAkey dave@desktop"), 1), nil},
		{"key group added", base,
			strings.Replace(base, sopsBlock("k1", "age1alice"), groupsBlock("k2", 0, []string{"age1alice"}, []string{"age1bob"}), 1),
			[]string{"recipients: +age1bob 2 of 2 key groups needed (was 1 key group)"}},
		{"threshold 3 to 2", strings.Replace(base, sopsBlock("k1", "age1alice"), groupsBlock("k1", 0, []string{"age1alice"}, []string{"age1bob"}, []string{"age1carol"}), 1),
			strings.Replace(base, sopsBlock("k1", "age1alice"), groupsBlock("k2", 2, []string{"age1alice"}, []string{"age1bob"}, []string{"age1carol"}), 1),
			[]string{"recipients: 2 of 3 key groups needed (was 3 of 3 key groups needed)"}},
		{"recipient moved to another key group", strings.Replace(base, sopsBlock("k1", "age1alice"), groupsBlock("k1", 0, []string{"age1alice", "age1bob"}, []string{"age1carol"}), 1),
			strings.Replace(base, sopsBlock("k1", "age1alice"), groupsBlock("k2", 0, []string{"age1alice"}, []string{"age1bob", "age1carol"}), 1),
			[]string{"recipients: recipients moved between key groups"}},
		{"documents", "a: " + enc("a1") + "\n" + sopsBlock("k1", "age1alice") + "---\na: " + enc("b1") + "\n",
			"a: " + enc("a1") + "\n" + sopsBlock("k1", "age1alice") + "---\na: " + enc("b2") + "\n", []string{"a (document 2) changed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var old *Snapshot
			if c.old != "" {
				old = snap(t, c.old)
			}
			got := strs(Diff(old, snap(t, c.new)))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestMergeDiff(t *testing.T) {
	blk := sopsBlock("k1", "age1alice")
	ours := snap(t, "a: "+enc("a2")+"\nb: "+enc("b1")+"\nc: "+enc("c1")+"\n"+blk)
	theirs := snap(t, "a: "+enc("a1")+"\nb: "+enc("b2")+"\nc: "+enc("c1")+"\n"+blk)
	// a from ours, b from theirs, c set by the merge itself
	merged := snap(t, "a: "+enc("a2")+"\nb: "+enc("b2")+"\nc: "+enc("c9")+"\n"+blk)
	got := strs(mergeDiff([]*Snapshot{ours, theirs}, merged))
	if want := []string{"c changed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEventString(t *testing.T) {
	pq := "age1pq1" + strings.Repeat("x", 2000)
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: Recipients, RecipientsAdded: []string{pq}, RecipientsRemoved: []string{"ssh-ed25519 AAAAC3Nza dave@host"}},
			"recipients: +age1pq1xxxxxxxxxxxxx…xxxxxxxx -ssh-ed25519 AAAAC3Nza"},
		{Event{Kind: Rotated, Values: 1}, "data key rotated (all 1 value re-encrypted)"},
		{Event{Kind: Deleted, Values: 12}, "file deleted (12 encrypted values)"},
		{Event{Kind: Horizon, Values: 2}, "history starts here (shallow clone): 2 values present"},
		{Event{Kind: Removed, Path: "a.b", Doc: 3}, "a.b (document 3) removed"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestShrinkENC(t *testing.T) {
	src := "a: " + enc("x") + "\nb: \"" + enc("y") + "\"\nc: |\n  " + enc("z") + "\n#" + strings.Replace(enc("c"), "type:str", "type:comment", 1) + "\n"
	text, digests, ok := shrink([]byte(src))
	want := "a: ENC[AES256_GCM,~0,str]\nb: \"ENC[AES256_GCM,~1,str]\"\nc: |\n  ENC[AES256_GCM,~2,str]\n#ENC[AES256_GCM,~3,comment]\n"
	if !ok || string(text) != want || len(digests) != 4 || digests[0] != digestOf(enc("x")) {
		t.Errorf("shrink: %v %q %d", ok, text, len(digests))
	}
	if _, _, ok := shrink([]byte("a: ENC[AES256_GCM,~0,str]\n")); ok {
		t.Error("a text with stand-ins was shrunk")
	}
	if i, typ, ok := yamlwalk.PlaceholderIndex("ENC[AES256_GCM,~12,int]"); !ok || i != 12 || typ != "int" {
		t.Errorf("parsePlaceholder: %d %q %v", i, typ, ok)
	}
	for _, s := range []string{enc("x"), "ENC[AES256_GCM,~x,str]", "ENC[AES256_GCM,~1]", "ENC[AES256_GCM,~-1,str]"} {
		if _, _, ok := yamlwalk.PlaceholderIndex(s); ok {
			t.Errorf("yamlwalk.PlaceholderIndex(%q) succeeded", s)
		}
	}
}

// Files the shrinking cannot handle are still compared correctly: one that
// holds a literal stand-in, and malformed ciphertexts.
func TestSnapshotOddCiphertexts(t *testing.T) {
	blk := sopsBlock("k1", "age1alice")
	fake := "fake: ENC[AES256_GCM,~0,str]\n"
	old := snap(t, fake+"a: "+enc("a1")+"\nb: "+enc("b1")+"\n"+blk)
	new := snap(t, fake+"a: "+enc("a1")+"\nb: "+enc("b2")+"\n"+blk)
	if got := strs(Diff(old, new)); !reflect.DeepEqual(got, []string{"b changed"}) {
		t.Errorf("with a stand-in in the text: %q", got)
	}
	bad := func(v string) string { return "ENC[AES256_GCM,data:" + v + ",iv:a-b,tag:x,type:str]" }
	old = snap(t, "a: "+bad("1")+"\nb: "+enc("b1")+"\n"+blk)
	new = snap(t, "a: "+bad("2")+"\nb: "+enc("b1")+"\n"+blk)
	if got := strs(Diff(old, new)); !reflect.DeepEqual(got, []string{"a changed"}) {
		t.Errorf("malformed ciphertext: %q", got)
	}
}

func TestBlankLastModified(t *testing.T) {
	a := "x: 1\nsops:\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  version: 3.13.3\n"
	b := "x: 1\nsops:\n  lastmodified: '2027-05-05T10:00:00+02:00'\n  version: 3.13.3\n"
	if ba, bb := blankLastModified([]byte(a)), blankLastModified([]byte(b)); string(ba) != string(bb) || !strings.Contains(string(ba), `lastmodified: "2000-01-01T00:00:00Z"`) {
		t.Errorf("%q\n%q", ba, bb)
	}
	// Only the sops block's.
	c := "x:\n  lastmodified: a\n"
	if got := blankLastModified([]byte(c)); string(got) != c {
		t.Errorf("changed a value: %q", got)
	}
}

func TestUnderPath(t *testing.T) {
	for _, c := range []struct {
		p, prefix string
		want      bool
	}{
		{"db.password", "db", true},
		{"db", "db", true},
		{"db.hosts[0]", "db.hosts", true},
		{"dbx.password", "db", false},
		{"api.token", "db", false},
		{`a["b.c"]`, "a", true},
	} {
		if got := underPath(c.p, c.prefix); got != c.want {
			t.Errorf("underPath(%q, %q) = %v", c.p, c.prefix, got)
		}
	}
}
