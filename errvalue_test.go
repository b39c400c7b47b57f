package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/internal/tooltest"
)

// TestNoValueInErrors is issue 11's property: whatever is wrong with a
// file, no value of it appears in what sv writes to standard error. It
// generates files with hostile values (wrong tags, broken quoting, broken
// structure around them, integers sops cannot hold, values hidden under
// the sops block, injected plaintext, ciphertexts with a flipped type or
// moved to another key) and runs each, in process, through every command
// that reads a values file (the test binary as sv, as testscript installs
// it). Every value is a unique marker; stderr must hold none of them.
// Standard output may (decrypt prints values).
func TestNoValueInErrors(t *testing.T) {
	root := tooltest.RepoRoot(t)
	t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(root, "testdata", "keys", "alice.agekey"))
	for _, k := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_RECIPIENTS", "SOPS_CONFIG", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("EDITOR", "true")
	t.Chdir(dir)
	alice := testRecipient(t, filepath.Join(root, "testdata", "keys", "alice.agekey"))
	if err := os.WriteFile(".sops.yaml", []byte("creation_rules:\n  - age: "+alice+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(11, 11))
	var markers []string
	marker := func(digits bool) string {
		var b strings.Builder
		if digits {
			b.WriteString("7")
			for range 17 {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		} else {
			b.WriteString("zq")
			for range 10 {
				b.WriteByte(byte('a' + rng.IntN(26)))
			}
		}
		markers = append(markers, b.String())
		return b.String()
	}

	// Each bad value spelling is a function of a fresh marker.
	badValues := []func() string{
		func() string { return "!!int " + marker(false) },
		func() string { return "!!float " + marker(false) },
		func() string { return "!!bool " + marker(false) },
		func() string { return "!!timestamp " + marker(false) },
		func() string { return "!!binary " + marker(false) + "!" },
		func() string { return "!!null " + marker(false) },
		func() string { return "!!map " + marker(false) },
		func() string { return "!!seq " + marker(false) },
		func() string { return marker(true) + "9999" },
		func() string { return "-" + marker(true) + "9999" },
		func() string { return `"` + marker(false) },
		func() string { return `'` + marker(false) },
		func() string { return `"` + marker(false) + `\q"` },
		func() string { return `"` + marker(false) + `\xZZ"` },
		func() string { return marker(false) + ": " + marker(false) },
		func() string { return "[" + marker(false) + ", " + marker(false) },
		func() string { return "{a: " + marker(false) },
		func() string { return marker(false) + " # ok\n\t- " + marker(false) },
		func() string { return "|\n" + marker(false) },
		func() string { return "*undefined_anchor" },
		func() string { return "&a " + marker(false) + "\nb: *a\nb: " + marker(false) },
		func() string { return marker(false) + "\xff\xfe" },
		func() string { return marker(false) + "\r" + marker(false) },
		func() string { return "> \n  " + marker(false) + "\n x: " + marker(false) },
	}
	// A plaintext file: good values around one bad one.
	plainFile := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "db:\n  user: %s\n  password: %s\n", marker(false), marker(false))
		bad := badValues[rng.IntN(len(badValues))]()
		switch rng.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "  token: %s\n", bad)
		case 1:
			fmt.Fprintf(&b, "list:\n  - %s\n  - %s\n", marker(false), bad)
		default:
			fmt.Fprintf(&b, "x_unencrypted: %s\n", bad)
		}
		fmt.Fprintf(&b, "port: %s\n", marker(true)[:6])
		return b.String()
	}

	// A valid encrypted file to mutate.
	sv, err := exec.LookPath("sv")
	if err != nil {
		t.Skip("no sv command on PATH (run through go test, which installs it)")
	}
	run := func(args []string, stdout, stderr *bytes.Buffer) int {
		cmd := exec.Command(sv, args[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), stdout, stderr
		cmd.Run()
		return cmd.ProcessState.ExitCode()
	}
	encrypt := func(src string) string {
		os.WriteFile("base.yaml", []byte(src), 0o644)
		var errb bytes.Buffer
		if code := run([]string{"sv", "encrypt", "base.yaml"}, &bytes.Buffer{}, &errb); code != 0 {
			t.Fatalf("encrypt base: %s", errb.String())
		}
		b, _ := os.ReadFile("base.yaml")
		return string(b)
	}
	encRe := regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`)
	encMutations := []func(enc string) string{
		func(enc string) string { // a plaintext value injected
			return strings.Replace(enc, "db:\n", "db:\n  injected: "+marker(false)+"\n", 1)
		},
		func(enc string) string { // a bad value injected
			return strings.Replace(enc, "db:\n", "db:\n  injected: "+badValues[rng.IntN(len(badValues))]()+"\n", 1)
		},
		func(enc string) string { // type flipped to int, float, bool, binary
			typ := []string{"int", "float", "bool", "bytes", "time", "comment", "nope"}[rng.IntN(7)]
			return strings.Replace(enc, ",type:str]", ",type:"+typ+"]", 1)
		},
		func(enc string) string { // ciphertexts of two keys swapped
			all := encRe.FindAllString(enc, -1)
			return strings.NewReplacer(all[0], all[1], all[1], all[0]).Replace(enc)
		},
		func(enc string) string { // a value under the sops block
			return enc + "  hidden: " + marker(false) + "\n"
		},
		func(enc string) string { // a plaintext value hidden in a comment of the sops block
			return strings.Replace(enc, "  lastmodified:", "  # "+marker(false)+"\n  lastmodified:", 1)
		},
		func(enc string) string { // the value replaced in place
			return strings.Replace(enc, encRe.FindString(enc), marker(false), 1)
		},
		func(enc string) string { // broken YAML after the values
			return strings.Replace(enc, "sops:\n", "oops: ["+marker(false)+"\nsops:\n", 1)
		},
		func(enc string) string { // a tagged plaintext value
			return strings.Replace(enc, "port: ", "port: !!int "+marker(false)+"\nold_port: ", 1)
		},
	}

	commands := [][]string{
		{"encrypt", "F"},
		{"encrypt", "-o", "out.yaml", "F"},
		{"decrypt", "F"},
		{"decrypt", "--ignore-mac", "F"},
		{"decrypt", "--extract", "db.password", "F"},
		{"decrypt", "--extract", "db", "F"},
		{"textconv", "F"},
		{"textconv", "--mask", "F"},
		{"check", "F"},
		{"status", "F"},
		{"set", "F", "db.user", "newvalue"},
		{"unset", "F", "db.user"},
		{"exec-env", "F", "true"},
		{"exec-file", "F", "true", "{}"},
		{"rotate", "F"},
		{"updatekeys", "-y", "F"},
		{"edit", "F"},
		{"helm", "downloader", "", "", "", "secrets://F"},
	}

	runs, failed := 0, 0
	runAll := func(name, content string) {
		for _, cmd := range commands {
			if err := os.WriteFile("f.yaml", []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"sv"}
			for _, a := range cmd {
				args = append(args, strings.ReplaceAll(a, "F", "f.yaml"))
			}
			var out, errb bytes.Buffer
			runs++
			if run(args, &out, &errb) != 0 {
				failed++
			}
			for _, m := range markers {
				if strings.Contains(errb.String(), m) {
					t.Errorf("%s: sv %s: a value of the file is on stderr:\n%s\n--- file:\n%s", name, strings.Join(cmd, " "), errb.String(), content)
					break
				}
			}
		}
	}

	cases := 0
	for i := range 40 {
		runAll(fmt.Sprintf("plain #%d", i), plainFile())
		cases++
	}
	for i := range 30 {
		markers = markers[:0]
		base := encrypt(fmt.Sprintf("db:\n  user: %s\n  password: %s\nport: %s\nx_unencrypted: %s\n", marker(false), marker(false), marker(true)[:6], marker(false)))
		m := encMutations[i%len(encMutations)]
		runAll(fmt.Sprintf("encrypted #%d (mutation %d)", i, i%len(encMutations)), m(base))
		cases++
	}
	t.Logf("%d files × %d commands: %d runs, %d failed (exit status not 0), no value on stderr", cases, len(commands), runs, failed)
	if failed < runs/2 {
		t.Errorf("only %d of %d runs failed: the generated inputs are not hostile enough", failed, runs)
	}
}
