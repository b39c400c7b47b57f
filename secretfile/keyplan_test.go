package secretfile

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/audit"
	"github.com/sv-secrets/sv/yamlwalk"
)

// treeKeys makes an identity in a key file of its own in dir (the
// process's key variables cleared, the current directory dir) and
// returns Keys holding it and its recipient.
func treeKeys(t *testing.T, dir string) (*Keys, string) {
	t.Helper()
	keyFile, r := isolatedIdentity(t, dir)
	t.Chdir(dir)
	return NewKeys(KeyEnv{KeyFile: keyFile}), r
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// encryptTo writes plain to name encrypted for the recipients rs.
func encryptTo(t *testing.T, name, plain string, rs ...string) {
	t.Helper()
	writeFile(t, name, plain)
	res, err := Encrypt(name, EncryptOptions{Rule: RuleOptions{Recipients: rs}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, name, string(res.Out))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// planTree is PlanKeysTree's files in a slice.
func planTree(t *testing.T, paths ...string) []KeyCheck {
	t.Helper()
	var out []KeyCheck
	if err := PlanKeysTree(paths, "", nil, func(c KeyCheck) { out = append(out, c) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// rotateOne is RotateTree's one file.
func rotateOne(t *testing.T, path string, o RotateOptions) RotatedFile {
	t.Helper()
	var out []RotatedFile
	if err := RotateTree([]string{path}, o, func(r RotatedFile) { out = append(out, r) }); err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// withoutSops is a YAML file's text before its sops: block.
func withoutSops(b []byte) []byte { return b[:bytes.Index(b, []byte("\nsops:"))] }

// updatekeys gives a file the rule's recipients, values, mac and
// lastmodified untouched; the plan needs no key.
func TestPlanAndApplyKeys(t *testing.T) {
	dir := t.TempDir()
	keys, alice := treeKeys(t, dir)
	bob := recipient(t)
	encryptTo(t, "values.yaml", "db:\n  password: hunter2 # the old one\nport: 5432\n", alice)
	writeFile(t, ".sops.yaml", "creation_rules:\n  - age: "+alice+","+bob+"\n")
	cfg, err := LoadConfig("", true)
	if err != nil {
		t.Fatal(err)
	}
	before := readFile(t, "values.yaml")
	checks := planTree(t)
	if len(checks) != 1 || checks[0].Err != nil || checks[0].Plan == nil {
		t.Fatalf("%d plans, first: %v", len(checks), checks[0].Err)
	}
	p := checks[0].Plan
	if !slices.Equal(p.Added, []string{bob}) || p.Removed != nil || p.Regroup {
		t.Errorf("plan: added %v, removed %v, regroup %v; want bob added", p.Added, p.Removed, p.Regroup)
	}
	ApplyKeys([]*KeyPlan{p}, keys, WriteOptions{}, func(_ *KeyPlan, err error) {
		if err != nil {
			t.Fatal(err)
		}
	})
	after := readFile(t, "values.yaml")
	if !bytes.Equal(withoutSops(before), withoutSops(after)) {
		t.Errorf("values changed:\n%s\n---\n%s", before, after)
	}
	info, err := yamlwalk.Inspect(after, yamlwalk.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := yamlwalk.Inspect(before, yamlwalk.Rules{})
	if info.Metadata.MAC != old.Metadata.MAC || info.Metadata.LastModified != old.Metadata.LastModified {
		t.Error("mac or lastmodified changed")
	}
	if p, err := PlanKeys(cfg, "values.yaml", after, nil); p != nil || err != nil {
		t.Errorf("after the update: plan %+v, %v; want up to date", p, err)
	}

	// A named file that is not encrypted is an error; the rule's
	// threshold alone changing is a regroup.
	writeFile(t, "plain.yaml", "a: 1\n")
	if c := planTree(t, "plain.yaml"); !errors.Is(c[0].Err, yamlwalk.ErrNotEncrypted) {
		t.Errorf("plain file named: %v", c[0].Err)
	}
	carol := recipient(t)
	encryptTo(t, "groups.yaml", "a: 1\n", alice)
	writeFile(t, ".sops.yaml", "creation_rules:\n  - key_groups:\n      - age: ["+alice+"]\n      - age: ["+bob+"]\n      - age: ["+carol+"]\n    shamir_threshold: 3\n")
	c := planTree(t, "groups.yaml")[0]
	if c.Err != nil || c.Plan == nil || !c.Plan.Regroup || len(c.Plan.Groups) != 3 || c.Plan.Threshold != 3 {
		t.Fatalf("groups: %+v", c)
	}
	if err := c.Plan.Apply(keys, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, ".sops.yaml", "creation_rules:\n  - key_groups:\n      - age: ["+alice+"]\n      - age: ["+bob+"]\n      - age: ["+carol+"]\n    shamir_threshold: 2\n")
	cfg, _ = LoadConfig("", true)
	c = planTree(t, "groups.yaml")[0]
	if c.Err != nil || c.Plan == nil || !c.Plan.Regroup || c.Plan.Added != nil || c.Plan.Removed != nil || c.Plan.Threshold != 2 {
		t.Fatalf("threshold 3 to 2: %+v", c)
	}
	st, _ := StatusOf(cfg, File{Path: "groups.yaml", Explicit: true})
	if st.RecipientsMatch || !st.ThresholdDiffers || st.KeyGroupsDiffer || st.Threshold != 3 || st.RuleThreshold != 2 {
		t.Errorf("status after a threshold change: %+v", st)
	}
	if got, want := strings.Join(GroupChanges(st.Diff), "; "), "3 of 3 key groups needed, the rule says 2 (shamir_threshold)"; got != want {
		t.Errorf("wording: %q, want %q", got, want)
	}
}

// rotate re-encrypts every value under a new data key, for the file's
// recipients less those removed; the text decrypts the same.
func TestRotateFile(t *testing.T) {
	dir := t.TempDir()
	keys, alice := treeKeys(t, dir)
	bob := recipient(t)
	plain := "db:\n  password: hunter2 # the old one\nport: 5432\n"
	encryptTo(t, "values.yaml", plain, alice, bob)
	src := readFile(t, "values.yaml")
	rot := rotateOne(t, "values.yaml", RotateOptions{Remove: []string{bob}, Keys: keys})
	if rot.Err != nil {
		t.Fatal(rot.Err)
	}
	r := rot.Rotation
	if !slices.Equal(r.Removed, []string{bob}) || len(r.Groups) != 1 || !slices.Equal(r.Groups[0], []string{alice}) || r.Trusted.Rule != nil {
		t.Errorf("rotation: %+v", r)
	}
	out := readFile(t, "values.yaml")
	old, _ := yamlwalk.Inspect(src, yamlwalk.Rules{})
	now, _ := yamlwalk.Inspect(out, yamlwalk.Rules{})
	for i := range now.Leaves {
		if now.Leaves[i].Encrypted && now.Leaves[i].Ciphertext == old.Leaves[i].Ciphertext {
			t.Errorf("%s kept its ciphertext", now.Leaves[i].Path)
		}
	}
	dec, err := DecryptFile("values.yaml", DecryptOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if string(dec.Text) != plain {
		t.Errorf("decrypts to %q", dec.Text)
	}

	// With a rule, a recipient only the file names does not get the key;
	// removing the last one is refused and nothing is written.
	encryptTo(t, "values.yaml", plain, alice, bob)
	writeFile(t, ".sops.yaml", "creation_rules:\n  - age: "+alice+"\n")
	rot = rotateOne(t, "values.yaml", RotateOptions{Keys: keys})
	if rot.Err != nil || !slices.Equal(rot.Rotation.Trusted.Dropped, []string{bob}) || !slices.Equal(rot.Rotation.Groups[0], []string{alice}) {
		t.Errorf("rule filter: %v, %+v", rot.Err, rot.Rotation)
	}
	src = readFile(t, "values.yaml")
	rot = rotateOne(t, "values.yaml", RotateOptions{Remove: []string{alice}, Keys: keys})
	if rot.Err == nil || !strings.Contains(rot.Err.Error(), "would leave the file with none") || !bytes.Equal(src, readFile(t, "values.yaml")) {
		t.Errorf("removing the last recipient: %v", rot.Err)
	}
}

// sv check's problems, without the CLI.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	keys, alice := treeKeys(t, dir)
	bob := recipient(t)
	writeFile(t, ".sops.yaml", "creation_rules:\n  - path_regex: secrets/\n    age: "+alice+","+bob+"\n    sv_max_age: 90d\n")
	if err := os.Mkdir("secrets", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "secrets/plain.yaml", "password: hunter2\n")
	encryptTo(t, "secrets/stale.yaml", "password: hunter2\n", alice)
	writeFile(t, "other.yaml", "not: covered\n")
	_, err := Check(CheckOptions{Keys: keys, OpenHistory: func() (*audit.History, error) { return nil, errors.New("no history here") }})
	if err == nil || err.Error() != "value ages need git history: no history here" {
		t.Errorf("max-age without history: %v", err)
	}
	writeFile(t, ".sops.yaml", "creation_rules:\n  - path_regex: secrets/\n    age: "+alice+","+bob+"\n")
	rep, err := Check(CheckOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.File+" "+p.Kind+" "+strings.Join(p.Paths, ","))
		if strings.Contains(p.Message, "hunter2") {
			t.Errorf("a value in a problem: %+v", p)
		}
	}
	want := []string{"secrets/plain.yaml not-encrypted password", "secrets/stale.yaml recipients "}
	if !slices.Equal(got, want) || !slices.Equal(rep.Checked, []string{"secrets/plain.yaml", "secrets/stale.yaml"}) || !slices.Equal(rep.MACChecked, []string{"secrets/stale.yaml"}) {
		t.Errorf("problems %q (want %q), checked %v, MAC checked %v", got, want, rep.Checked, rep.MACChecked)
	}
	if !strings.Contains(rep.Problems[1].Message, "not encrypted to "+bob[:20]) {
		t.Errorf("recipients problem: %s", rep.Problems[1].Message)
	}
}

// Apply rewrites the sops block in the shrunk text and checks the values
// by their bytes; a change that reaches a value's line is left to the
// parse (sameValuesAndMAC), as is a file of several documents.
func TestApplyKeysShrunk(t *testing.T) {
	dir := t.TempDir()
	keys, alice := treeKeys(t, dir)
	bob := recipient(t)
	encryptTo(t, "values.yaml", "a: 1\nb: two\nc_unencrypted: 3\n", alice)
	encryptTo(t, "docs.yaml", "a: 1\n---\nb: two\n", alice)
	writeFile(t, ".sops.yaml", "creation_rules:\n  - age: "+alice+","+bob+"\n")
	cfg, _ := LoadConfig("", true)
	for _, name := range []string{"values.yaml", "docs.yaml"} {
		src := readFile(t, name)
		p, err := PlanKeys(cfg, name, src, nil)
		if err != nil || p == nil || p.shrunk == nil {
			t.Fatalf("%s: plan %+v, %v", name, p, err)
		}
		dec, err := yamlwalk.Decrypt(src, yamlwalk.DecryptOptions{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		m := *dec.Metadata
		m.KeyGroups = append(m.KeyGroups, m.KeyGroups[0])
		after, err := yamlwalk.ReplaceMetadata(p.shrunk, &m)
		if fast := onlyMetadataChanged(p.shrunk, after, p.info); err != nil || fast != (name == "values.yaml") {
			t.Errorf("%s: checked by bytes alone: %v (%v)", name, fast, err)
		}
		if err := p.Apply(keys, WriteOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := readFile(t, name)
		if _, err := DecryptFile(name, DecryptOptions{Keys: keys}); err != nil {
			t.Fatalf("%s after the update: %v", name, err)
		}
		if p, _ := PlanKeys(cfg, name, out, nil); p != nil {
			t.Errorf("%s: not up to date after the update", name)
		}
	}
	src := readFile(t, "values.yaml")
	text, spans, _ := yamlwalk.ShrinkCiphertexts(src)
	info, _ := yamlwalk.Inspect(text, yamlwalk.Rules{})
	if back, err := expandCiphertexts(text, src, spans); err != nil || !bytes.Equal(back, src) {
		t.Errorf("expand(shrink(src)) != src: %v", err)
	}
	i := bytes.Index(text, []byte("sops:"))
	if !onlyMetadataChanged(text, append(append([]byte{}, text[:i]...), "sops: {}\n"...), info) {
		t.Error("a new sops block alone: not seen as metadata only")
	}
	withComment := append(append(append([]byte{}, text[:i]...), "#ENC[AES256_GCM,~99,comment]\n"...), text[i:]...)
	if onlyMetadataChanged(withComment, append(append([]byte{}, text[:i]...), "sops: {}\n"...), info) {
		t.Error("an encrypted comment dropped: seen as metadata only")
	}
	changed := bytes.Replace(text, []byte("c_unencrypted: 3"), []byte("c_unencrypted: 4"), 1)
	if onlyMetadataChanged(text, changed, info) {
		t.Error("a plaintext value changed: seen as metadata only")
	}
	if _, err := expandCiphertexts([]byte("a: ENC[AES256_GCM,~99,str]\n"), src, spans); err == nil {
		t.Error("a placeholder with no ciphertext expanded")
	}
}
