package main

// The format flags; the formats themselves are secretfile's (see
// secretfile/format.go).

import (
	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

var typeFlags = []cli.Flag{
	&cli.StringFlag{Name: "input-type", Usage: "read the file as `TYPE`: yaml, json, dotenv, ini or binary (default: by extension, as sops)"},
	&cli.StringFlag{Name: "output-type", Usage: "write `TYPE`: yaml, json, dotenv, ini or binary, converting as sops does (default: the input's type)"},
}

// typeOverride reads --input-type (and checks --output-type's spelling).
func typeOverride(c *cli.Context) (secretfile.Format, error) {
	if _, err := secretfile.ParseFormat(c.String("output-type")); err != nil {
		return "", err
	}
	return secretfile.ParseFormat(c.String("input-type"))
}

// convertOutput is --output-type for the plaintext text of file, of
// format in: the text in the output format (secretfile.Convert), and that
// format.
func convertOutput(c *cli.Context, file string, in secretfile.Format, text []byte) ([]byte, secretfile.Format, error) {
	out, err := secretfile.ParseFormat(c.String("output-type"))
	if err != nil || !secretfile.Converts(in, out) {
		return text, in, err
	}
	if text, err = secretfile.Convert(text, in, out); err != nil {
		return nil, in, secretfile.WithFile(file, err)
	}
	return text, out, nil
}
