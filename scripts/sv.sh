#!/bin/sh
# Launcher of the Helm "secrets" plugin when Helm runs it from a source
# checkout (helm plugin install <checkout>, or ./plugins/secrets and
# ./plugins/secrets-getter on Helm 4). Helm runs this file by a path
# relative to the plugin directory and expands no variables in it, so it
# finds sv itself: $SV_BIN if set, else an sv built in the checkout
# (go build -o sv .), else sv on PATH. 'sv plugin install' does not use this
# script; it links the plugin straight to the sv binary.
if [ -n "${SV_BIN:-}" ]; then
	exec "$SV_BIN" "$@"
fi
root=$(CDPATH='' cd -P -- "$(dirname -- "$0")/.." && pwd -P)
if [ -x "$root/sv" ] && [ -f "$root/sv" ]; then
	exec "$root/sv" "$@"
fi
if command -v sv >/dev/null 2>&1; then
	exec sv "$@"
fi
echo "sv: error: the Helm secrets plugin cannot find sv: put sv on PATH, set SV_BIN, or run 'go build -o sv .' in $root" >&2
exit 127
