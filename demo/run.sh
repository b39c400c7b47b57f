#!/usr/bin/env bash
# sv in one minute: build sv, make a throwaway key, encrypt the example
# production values, show what changed, and decrypt it back byte for byte.
# Needs only Go; everything happens in a temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> building sv"
(cd "$root" && CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$work/sv" .)
sv="$work/sv"

echo "==> a throwaway age key"
"$sv" keygen -o "$work/key.txt" 2>"$work/recipient"
recipient=$(sed 's/^Public key: //' "$work/recipient")
echo "    recipient: $recipient"

cp "$root/testdata/values.prod.yaml" "$work/values.prod.yaml"
cp "$work/values.prod.yaml" "$work/plain.yaml"

echo "==> sv encrypt values.prod.yaml"
(cd "$work" && "$sv" encrypt --age "$recipient" values.prod.yaml)

echo "==> what changed (diff of plaintext vs encrypted file):"
(cd "$work" && diff -u plain.yaml values.prod.yaml || true) | sed 's/^/    /'

echo "==> sv decrypt values.prod.yaml"
SOPS_AGE_KEY_FILE="$work/key.txt" "$sv" decrypt "$work/values.prod.yaml" > "$work/roundtrip.yaml"
if cmp -s "$work/plain.yaml" "$work/roundtrip.yaml"; then
  echo "    decrypted text is byte-for-byte the original"
else
  echo "    round trip differs!" >&2
  exit 1
fi
