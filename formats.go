package main

// The format flags; the formats themselves are secretfile's (see
// secretfile/format.go).

import (
	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

var typeFlags = []cli.Flag{
	&cli.StringFlag{Name: "input-type", Usage: "read the file as `TYPE`: yaml, json, dotenv, ini or binary (default: by extension, as sops)"},
	&cli.StringFlag{Name: "output-type", Usage: "write `TYPE`; sv does not convert, so it must be the input's type"},
}

// typeOverride reads --input-type (and checks --output-type's spelling).
func typeOverride(c *cli.Context) (secretfile.Format, error) {
	if _, err := secretfile.ParseFormat(c.String("output-type")); err != nil {
		return "", err
	}
	return secretfile.ParseFormat(c.String("input-type"))
}

// checkOutputType refuses an --output-type other than the file's format:
// sv does not convert.
func checkOutputType(c *cli.Context, in secretfile.Format) error {
	out, err := secretfile.ParseFormat(c.String("output-type"))
	if err != nil {
		return err
	}
	return secretfile.CheckOutputType(in, out)
}
