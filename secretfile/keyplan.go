package secretfile

// updatekeys: planning (no key needed) and applying (the data key
// re-wrapped for the rule's recipients, values untouched).

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// ErrOtherKeys: the file is also encrypted to pgp, kms or vault keys,
// which sv does not handle (sops does).
var ErrOtherKeys = errors.New("the file also has pgp, kms or vault keys, which sv does not handle")

// KeyPlan is what updatekeys does to one file: give its data key to
// exactly the recipients of the rule that covers it.
type KeyPlan struct {
	File string
	// Added and Removed are the recipients the file gains (as the rule
	// spells them) and loses (as the file does); see CompareRule.
	Added, Removed []string
	// Regroup: the key groups or the threshold change too.
	Regroup bool
	// Groups are the rule's recipients, key group by key group, and
	// Threshold the key groups needed to open the data key (0 for one
	// group).
	Groups    [][]crypt.Recipient
	Threshold int

	src    []byte
	meta   *yamlwalk.Metadata
	info   *yamlwalk.Info // src inspected, to compare the rewrite with
	shrunk []byte         // the text info was inspected from, if shrunk (see keysInspect)
	spans  [][2]int       // where shrunk's ciphertexts are in src
}

// PlanKeys compares the recipients of file, read as src, with those of
// the rule of cfg that covers it; nil means the file is up to date. No key
// is needed (keys parses the rule's plugin recipients; it may be nil).
// Errors: yamlwalk.ErrNotEncrypted, ErrOtherKeys, *sopsconfig.ErrNoRule,
// a rule sv cannot use (RuleRecipients), or the file's own.
func PlanKeys(cfg *sopsconfig.Config, file string, src []byte, keys *Keys) (*KeyPlan, error) {
	info, shrunk, spans, err := keysInspect(file, src)
	if err != nil {
		return nil, err
	}
	meta := info.Metadata
	if meta == nil {
		return nil, yamlwalk.ErrNotEncrypted
	}
	if otherKeys(meta) {
		return nil, fmt.Errorf("%w: use sops updatekeys", ErrOtherKeys)
	}
	rule, err := cfg.Match(file)
	if err != nil {
		return nil, err
	}
	d := CompareRule(rule, meta)
	if d.Match() {
		return nil, nil
	}
	target, err := RuleRecipients(cfg, rule, keys)
	if err != nil {
		return nil, err
	}
	return &KeyPlan{
		File: file, Added: d.Added, Removed: d.Removed, Regroup: d.GroupsChanged || d.ThresholdChanged,
		Groups: target, Threshold: d.ThresholdB,
		src: src, meta: meta, info: info, shrunk: shrunk, spans: spans,
	}, nil
}

// KeyCheck is one file of a tree as PlanKeysTree found it: Skipped, an
// error (Err), up to date (Plan nil) or to be changed.
type KeyCheck struct {
	TreeFile
	Plan *KeyPlan
}

// PlanKeysTree finds the files of paths (Walk, Tree), and reads and plans
// them (ReadTreeFile, PlanKeys), each with the rules of its .sops.yaml
// (Configs: config, if given, else the nearest one above the file, as sv
// check), in parallel, handing each to emit in the order of the files as
// soon as it and those before it are done (so a caller prints as it
// goes). A file without a .sops.yaml has sopsconfig.ErrNotFound; when no
// file has one, that is the error (nothing is planned). Otherwise only a
// failure to start is an error; each file's own is in its KeyCheck.
func PlanKeysTree(paths []string, config string, keys *Keys, emit func(KeyCheck)) error {
	files, err := Walk(paths, Tree)
	if err != nil {
		return err
	}
	configs, err := NewConfigs(config)
	if err != nil {
		return err
	}
	cfgs := make([]*sopsconfig.Config, len(files))
	found := false
	for i, f := range files {
		if cfgs[i], err = configs.For(f.Path); err != nil {
			return err
		}
		found = found || cfgs[i] != nil
	}
	if !found {
		return sopsconfig.ErrNotFound
	}
	parallel.Ordered(len(files), 0, func(i int) KeyCheck {
		c := KeyCheck{TreeFile: ReadTreeFile(files[i])}
		switch {
		case c.Skipped || c.Err != nil:
		case cfgs[i] == nil:
			c.Err = sopsconfig.ErrNotFound
		default:
			c.Plan, c.Err = PlanKeys(cfgs[i], c.Path, c.Src, keys)
		}
		return c
	}, func(_ int, c KeyCheck) { emit(c) })
	return nil
}

// ApplyKeys applies plans in parallel (data keys opened and wrapped one at
// a time), handing plans[i]'s outcome to emit in order, as it goes.
func ApplyKeys(plans []*KeyPlan, keys yamlwalk.KeySource, o WriteOptions, emit func(p *KeyPlan, err error)) {
	parallel.Ordered(len(plans), 0, func(i int) error {
		return plans[i].Apply(keys, o)
	}, func(i int, err error) { emit(plans[i], err) })
}

// Apply opens the file's data key (verifying the MAC) and writes the file
// back (Replace) with the key wrapped for the plan's recipients, values,
// mac and lastmodified untouched; the rewrite is checked to hold exactly
// the values and ciphertexts the file had.
func (p *KeyPlan) Apply(keys yamlwalk.KeySource, o WriteOptions) error {
	if f := FormatOf(p.File, p.src, FormatAuto); f != FormatYAML {
		out, err := ReplaceKeys(f, p.src, p.meta, p.Groups, p.Threshold, keys)
		if err != nil {
			return err
		}
		return Replace(p.File, p.src, out, o)
	}
	dec, err := yamlwalk.Decrypt(p.src, yamlwalk.DecryptOptions{Keys: keys})
	if err != nil {
		return err
	}
	groups, err := WrapKeyGroups(dec.Key, p.Groups, p.Threshold)
	if err != nil {
		return err
	}
	// The metadata as decryption read it: the plan's may hold shrunk
	// ciphertexts (keysInspect), the real MAC is the decrypted file's.
	m := *dec.Metadata
	m.KeyGroups, m.Grouped, m.ShamirThreshold = groups, len(groups) > 1, p.Threshold
	if p.shrunk != nil {
		// The sops block is replaced in the shrunk text the plan parsed
		// (a fraction of the parsing), its placeholders then put back.
		outShrunk, err := yamlwalk.ReplaceMetadata(p.shrunk, &m)
		if err != nil {
			return err
		}
		out, err := expandCiphertexts(outShrunk, p.src, p.spans)
		if err != nil {
			return err
		}
		if !onlyMetadataChanged(p.shrunk, outShrunk, p.info) {
			if err := sameValuesAndMAC(p.info, p.src, p.spans, out); err != nil {
				return err
			}
		}
		return Replace(p.File, p.src, out, o)
	}
	out, err := yamlwalk.ReplaceMetadata(p.src, &m)
	if err != nil {
		return err
	}
	if err := sameValuesAndMAC(p.info, p.src, p.spans, out); err != nil {
		return err
	}
	return Replace(p.File, p.src, out, o)
}

// placeholderStart begins every placeholder ShrinkCiphertexts writes
// ("ENC[AES256_GCM,~N,TYPE]"); no real ciphertext holds a "~".
var placeholderStart = []byte("ENC[AES256_GCM,~")

// expandCiphertexts puts the ciphertexts of src (at spans) back for the
// placeholders of shrunk text: each placeholder N becomes src's
// ciphertext N.
func expandCiphertexts(shrunk, src []byte, spans [][2]int) ([]byte, error) {
	out := make([]byte, 0, len(src))
	rest := shrunk
	for {
		i := bytes.Index(rest, placeholderStart)
		if i < 0 {
			return append(out, rest...), nil
		}
		j := bytes.IndexByte(rest[i:], ']')
		if j < 0 {
			return nil, errors.New("the rewritten file changed values (please report this)")
		}
		n, _, ok := yamlwalk.PlaceholderIndex(string(rest[i : i+j+1]))
		if !ok || n < 0 || n >= len(spans) {
			return nil, errors.New("the rewritten file changed values (please report this)")
		}
		out = append(append(out, rest[:i]...), src[spans[n][0]:spans[n][1]]...)
		rest = rest[i+j+1:]
	}
}

// onlyMetadataChanged reports whether after differs from before (both
// shrunk) only in lines that hold none of info's values (info: before
// inspected), the only placeholder in the changed part of before being the
// mac's and none in after's: then the values and their ciphertexts are
// those of before, byte for byte, without parsing after again. It is false
// for a file with several sops blocks between values (a multi-document
// file), or with NEL, LS or PS in it (YAML counts them as line breaks;
// bare CRs do not parse): sameValuesAndMAC checks those.
func onlyMetadataChanged(before, after []byte, info *yamlwalk.Info) bool {
	for _, brk := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(before, []byte(brk)) {
			return false
		}
	}
	p := 0
	for p < len(before) && p < len(after) && before[p] == after[p] {
		p++
	}
	s := 0
	for s < len(before)-p && s < len(after)-p && before[len(before)-1-s] == after[len(after)-1-s] {
		s++
	}
	if bytes.Contains(after[p:len(after)-s], placeholderStart) {
		return false
	}
	changed := before[p : len(before)-s]
	for rest := changed; ; {
		i := bytes.Index(rest, placeholderStart)
		if i < 0 {
			break
		}
		if info.Metadata == nil || !bytes.HasPrefix(rest[i:], []byte(info.Metadata.MAC)) {
			return false
		}
		rest = rest[i+len(placeholderStart):]
	}
	first := bytes.Count(before[:p], []byte("\n")) + 1
	last := first + bytes.Count(changed, []byte("\n"))
	for _, l := range info.Leaves {
		if l.Line >= first && l.Line <= last {
			return false
		}
	}
	return true
}

// keysInspect inspects a file for updatekeys. A YAML file is inspected
// with its ciphertexts shrunk to placeholders (yamlwalk.ShrinkCiphertexts,
// as decryption parses it: a third less work for the plan, which needs
// only the sops block's recipients), returned as shrunk; spans says where
// the real ciphertexts are. Its Metadata.MAC is then a placeholder:
// nothing may write it back.
func keysInspect(file string, src []byte) (info *yamlwalk.Info, shrunk []byte, spans [][2]int, err error) {
	if FormatOf(file, src, FormatAuto) == FormatYAML {
		if text, spans, ok := yamlwalk.ShrinkCiphertexts(src); ok && spans != nil {
			info, err := yamlwalk.Inspect(text, yamlwalk.Rules{})
			return info, text, spans, err
		}
	}
	info, err = Inspect(file, src, yamlwalk.Rules{})
	return info, nil, nil, err
}

func otherKeys(m *yamlwalk.Metadata) bool {
	for _, g := range m.KeyGroups {
		if g.Other > 0 {
			return true
		}
	}
	return false
}

// sameValuesAndMAC checks that out holds exactly the values and
// ciphertexts, mac and lastmodified of src, which a inspected (with its
// ciphertexts shrunk, at spans, when spans is not nil: then out is
// inspected shrunk too, and every ciphertext compared byte for byte).
func sameValuesAndMAC(a *yamlwalk.Info, src []byte, spans [][2]int, out []byte) error {
	text := out
	if spans != nil {
		t, outSpans, ok := yamlwalk.ShrinkCiphertexts(out)
		if !ok || len(outSpans) != len(spans) {
			return errors.New("the rewritten file changed values (please report this)")
		}
		for i, sp := range spans {
			if !bytes.Equal(src[sp[0]:sp[1]], out[outSpans[i][0]:outSpans[i][1]]) {
				return errors.New("the rewritten file changed values (please report this)")
			}
		}
		text = t
	}
	b, err := yamlwalk.Inspect(text, yamlwalk.Rules{})
	if err != nil {
		return fmt.Errorf("the rewritten file does not parse (please report this): %w", err)
	}
	if len(a.Leaves) != len(b.Leaves) {
		return errors.New("the rewritten file lost values (please report this)")
	}
	for i := range a.Leaves {
		if a.Leaves[i].Path != b.Leaves[i].Path || a.Leaves[i].Ciphertext != b.Leaves[i].Ciphertext {
			return errors.New("the rewritten file changed values (please report this)")
		}
	}
	if b.Metadata.MAC != a.Metadata.MAC || b.Metadata.LastModified != a.Metadata.LastModified {
		return errors.New("the rewritten file changed its mac (please report this)")
	}
	return nil
}
