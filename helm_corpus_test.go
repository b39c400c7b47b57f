package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// Commands for testdata/script/helm_corpus.txt, which renders the values
// chart in its archive (a ConfigMap whose data["values.json"] is
// `.Values | toJson`) for each corpus file, plaintext and secrets://:
//
//	renderkeep NAME ARGS...  runs `helm template ARGS...` and keeps the
//	                         rendered values in memory as NAME (the render
//	                         must succeed)
//	rendercmp NAME ARGS...   runs `helm template ARGS...` and compares its
//	                         output with NAME's: they must be byte-identical
//	valuesequal              fails naming every rendercmp that differed
//	                         (! valuesequal: fails if none did)
//
// Neither render command puts helm's output in the script log (the
// values of large charts would flood it). rendercmp does not stop the
// script: it logs the first path where the values differ (never the values
// themselves), or the first line of helm's stderr if the render failed, so
// that one run reports every file.
func init() {
	scriptCmds["renderkeep"] = cmdRenderKeep
	scriptCmds["rendercmp"] = cmdRenderCmp
	scriptCmds["valuesequal"] = cmdValuesEqual
}

var (
	rendered   sync.Map // *testscript.TestScript → map[string][]byte
	valueDiffs sync.Map // *testscript.TestScript → *[]string
)

// helmTemplate runs helm template with the script's environment.
func helmTemplate(ts *testscript.TestScript, args []string) (stdout, stderr []byte, err error) {
	helm, err := exec.LookPath(filepath.Join(strings.Split(ts.Getenv("PATH"), string(os.PathListSeparator))[0], "helm"))
	if err != nil {
		return nil, nil, fmt.Errorf("no helm first on PATH: %v", err)
	}
	cmd := exec.Command(helm, append([]string{"template"}, args...)...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "XDG_CONFIG_HOME", "HELM_DATA_HOME", "HELM_CONFIG_HOME",
		"HELM_CACHE_HOME", "SOPS_AGE_KEY_FILE"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

func cmdRenderKeep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: renderkeep NAME ARGS...")
	}
	out, stderr, err := helmTemplate(ts, args[1:])
	if err != nil {
		ts.Fatalf("helm template: %v\n%s", err, stderr)
	}
	if _, err := renderedValues(out); err != nil {
		ts.Fatalf("helm template: %v", err)
	}
	m, _ := rendered.LoadOrStore(ts, map[string][]byte{})
	m.(map[string][]byte)[args[0]] = out
}

func cmdRenderCmp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: rendercmp NAME ARGS...")
	}
	m, _ := rendered.LoadOrStore(ts, map[string][]byte{})
	want, ok := m.(map[string][]byte)[args[0]]
	if !ok {
		ts.Fatalf("rendercmp: nothing kept as %s", args[0])
	}
	got, stderr, err := helmTemplate(ts, args[1:])
	switch {
	case err != nil:
		recordValueDiff(ts, args[0], fmt.Sprintf("render failed (%v): %s", err, firstLine(string(stderr))))
	case bytes.Equal(got, want):
		ts.Logf("%s: rendered values equal", args[0])
	default:
		wv, err := renderedValues(want)
		if err != nil {
			ts.Fatalf("rendercmp: kept %s: %v", args[0], err)
		}
		gv, err := renderedValues(got)
		if err != nil {
			recordValueDiff(ts, args[0], err.Error())
		} else if d := valuesDiff("", wv, gv); d != "" {
			recordValueDiff(ts, args[0], "rendered values differ: "+d)
		} else {
			recordValueDiff(ts, args[0], "rendered output differs (the values are equal)")
		}
	}
}

func recordValueDiff(ts *testscript.TestScript, name, msg string) {
	ts.Logf("%s: %s", name, msg)
	v, _ := valueDiffs.LoadOrStore(ts, new([]string))
	l := v.(*[]string)
	*l = append(*l, name)
}

// valuesequal fails if a rendercmp since the last valuesequal differed;
// "! valuesequal" fails if none did. Either way it starts a new round.
func cmdValuesEqual(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: valuesequal")
	}
	var l []string
	if v, ok := valueDiffs.LoadAndDelete(ts); ok {
		l = *v.(*[]string)
	}
	switch {
	case len(l) > 0 && !neg:
		ts.Fatalf("%d render(s) differ from the plaintext: %s", len(l), strings.Join(l, " "))
	case len(l) == 0 && neg:
		ts.Fatalf("every render equals its kept one")
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// renderedValues extracts and decodes data["values.json"] of the rendered
// ConfigMap.
func renderedValues(out []byte) (any, error) {
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		if err := dec.Decode(&cm); err != nil {
			return nil, fmt.Errorf("no rendered values.json: %v", err)
		}
		if s, ok := cm.Data["values.json"]; ok {
			jd := json.NewDecoder(bytes.NewReader([]byte(s)))
			jd.UseNumber()
			var v any
			if err := jd.Decode(&v); err != nil {
				return nil, fmt.Errorf("values.json: %v", err)
			}
			return v, nil
		}
	}
}

// valuesDiff names the first path where a and b differ, with the kinds of
// value found there, or "" if they are equal.
func valuesDiff(path string, a, b any) string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: a mapping became %s", pathOrRoot(path), jsonKind(b))
		}
		keys := make([]string, 0, len(a))
		for k := range a {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			bv, ok := bm[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if d := valuesDiff(path+"."+k, a[k], bv); d != "" {
				return d
			}
		}
		for k := range bm {
			if _, ok := a[k]; !ok {
				return fmt.Sprintf("%s.%s: extra key", path, k)
			}
		}
		return ""
	case []any:
		bs, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: a list became %s", pathOrRoot(path), jsonKind(b))
		}
		for i := range min(len(a), len(bs)) {
			if d := valuesDiff(fmt.Sprintf("%s[%d]", path, i), a[i], bs[i]); d != "" {
				return d
			}
		}
		if len(a) != len(bs) {
			return fmt.Sprintf("%s: %d items became %d", pathOrRoot(path), len(a), len(bs))
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		if jsonKind(a) != jsonKind(b) {
			return fmt.Sprintf("%s: a %s became a %s", pathOrRoot(path), jsonKind(a), jsonKind(b))
		}
		return fmt.Sprintf("%s: a different %s", pathOrRoot(path), jsonKind(a))
	}
	return ""
}

func pathOrRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	}
	return fmt.Sprintf("%T", v)
}
