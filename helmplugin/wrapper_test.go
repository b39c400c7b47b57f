package helmplugin

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

const sopsFile = "a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\nsops:\n    lastmodified: \"2025-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n"

// fakeFS is a map of file contents for Rewrite's ReadFile: Rewrite only
// looks at whether a file is a SOPS file, so no real encryption is needed.
func fakeFS(files map[string]string) RewriteOptions {
	return RewriteOptions{
		ReadFile: func(name string) ([]byte, error) {
			s, ok := files[name]
			if !ok {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
			}
			return []byte(s), nil
		},
		Abs: func(p string) (string, error) {
			if strings.HasPrefix(p, "/") {
				return p, nil
			}
			return "/work/" + p, nil
		},
	}
}

func TestRewrite(t *testing.T) {
	opt := fakeFS(map[string]string{
		"enc.yaml":           sopsFile,
		"dir/enc2.yaml":      sopsFile,
		"plain.yaml":         "a: 1\n",
		"we,ird.yaml":        sopsFile,
		"co:lon.yaml":        sopsFile,
		"/abs/enc.yaml":      sopsFile,
		"sp ace.yaml":        sopsFile,
		"cert.yaml":          sopsFile,
		"json.json":          `{"a": "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]", "sops": {"mac": "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]"}}`,
		"--values=enc.yaml2": sopsFile,
	})
	tests := []struct{ in, want string }{
		{"template r ./c -f enc.yaml", "template r ./c -f secrets://enc.yaml"},
		{"template r ./c --values enc.yaml", "template r ./c --values secrets://enc.yaml"},
		{"template r ./c --values=enc.yaml", "template r ./c --values=secrets://enc.yaml"},
		{"template r ./c -f=enc.yaml", "template r ./c -f=secrets://enc.yaml"},
		{"template r ./c -fenc.yaml", "template r ./c -fsecrets://enc.yaml"},
		{"template r ./c -f plain.yaml,enc.yaml,dir/enc2.yaml", "template r ./c -f plain.yaml,secrets://enc.yaml,secrets://dir/enc2.yaml"},
		{"template r ./c -f plain.yaml", "template r ./c -f plain.yaml"},
		{"template r ./c -f missing.yaml", "template r ./c -f missing.yaml"},
		{"template r ./c -f secrets://enc.yaml", "template r ./c -f secrets://enc.yaml"},
		{"template r ./c -f https://example.com/v.yaml", "template r ./c -f secrets://https://example.com/v.yaml"},
		{"template r ./c -f git+https://github.com/o/r@v.yaml?ref=main", "template r ./c -f secrets://git+https://github.com/o/r@v.yaml?ref=main"},
		{"template r ./c -f ?missing.yaml", "template r ./c -f secrets://?missing.yaml"},
		{"template r ./c -f ?plain.yaml,?https://h/v.yaml", "template r ./c -f plain.yaml,secrets://?https://h/v.yaml"},
		{"template r ./c -f sops!enc.yaml", "template r ./c -f secrets://enc.yaml"},
		{"template r ./c -f -", "template r ./c -f -"},
		{"template r ./c -f /abs/enc.yaml", "template r ./c -f secrets:///abs/enc.yaml"},
		{"template r ./c -f co:lon.yaml", "template r ./c -f secrets://./co:lon.yaml"},
		{"template r ./c -f json.json", "template r ./c -f secrets://json.json"},
		{"template r ./c --set-file cert=cert.yaml", "template r ./c --set-file cert=secrets://cert.yaml"},
		{"template r ./c --set-file=cert=cert.yaml,other=plain.yaml", "template r ./c --set-file=cert=secrets://cert.yaml,other=plain.yaml"},
		{`template r ./c --set-file a=we\,ird.yaml`, `template r ./c --set-file a=secrets://we\,ird.yaml`},
		{"template r ./c --set-file nokey", "template r ./c --set-file nokey"},
		{"template r ./c --set x=enc.yaml", "template r ./c --set x=enc.yaml"},
		{"template r ./c --set-string -f", "template r ./c --set-string -f"},
		{"template r ./c -- -f enc.yaml", "template r ./c -- -f enc.yaml"},
		{"diff upgrade r ./c -f enc.yaml", "diff upgrade r ./c -f secrets://enc.yaml"},
		{"template r ./c -f", "template r ./c -f"},
		{"template r ./c --foo enc.yaml", "template r ./c --foo enc.yaml"},
	}
	for _, tt := range tests {
		got, err := Rewrite(strings.Fields(tt.in), opt)
		if err != nil {
			t.Errorf("Rewrite(%s): %v", tt.in, err)
			continue
		}
		if want := strings.Fields(tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("Rewrite(%s)\n got %q\nwant %q", tt.in, got, want)
		}
	}
	// Spaces need a real argv.
	got, err := Rewrite([]string{"-f", "sp ace.yaml"}, opt)
	if err != nil || !reflect.DeepEqual(got, []string{"-f", "secrets://./sp ace.yaml"}) {
		t.Errorf("space: %q, %v", got, err)
	}
}

func TestRewriteIgnoreMissing(t *testing.T) {
	opt := fakeFS(map[string]string{"enc.yaml": sopsFile})
	opt.IgnoreMissing = true
	got, err := Rewrite([]string{"-f", "missing.yaml,enc.yaml", "--set-file", "k=gone.yaml"}, opt)
	want := []string{"-f", "secrets://?missing.yaml,secrets://enc.yaml", "--set-file", "k=secrets://?gone.yaml"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	opt := fakeFS(map[string]string{"50%.yaml": sopsFile})
	for _, args := range [][]string{
		{"-f", "secret://x.yaml"},
		{"--values=sops://x.yaml"},
		{"--set-file", "k=secret://x.yaml"},
		{"-f", "50%.yaml"},
	} {
		if _, err := Rewrite(args, opt); err == nil {
			t.Errorf("Rewrite(%q) succeeded", args)
		} else if !strings.Contains(err.Error(), strings.TrimPrefix(strings.TrimPrefix(args[len(args)-1], "--values="), "k=")) {
			t.Errorf("Rewrite(%q): %v does not name the file", args, err)
		}
	}
}

func TestIsScheme(t *testing.T) {
	for s, want := range map[string]bool{"secrets": true, "secrets+age-import": true, "https": true, "C": false, "a/b": false, "": false, "1x": false} {
		if isScheme(s) != want {
			t.Errorf("isScheme(%q) != %v", s, want)
		}
	}
}
