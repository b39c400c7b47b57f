#!/usr/bin/env bash
# Compares sv and sops 3.13.3 on the same encrypted files, whole process:
# median wall time, median CPU time (user+sys) and peak memory of `decrypt`,
# and the ratios. On a busy machine read the CPU columns.
#
#   bench/compare.sh            # 10, 1k, 10k and 100k leaves
#   SIZES="100000" RUNS=5 bench/compare.sh
#
# Inputs are generated (internal/benchgen), encrypted once by sv for a
# throwaway key, then decrypted by both tools. Nothing here is a test: the
# machine's load changes the numbers, the ratios are what to read.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
SIZES=${SIZES:-"10 1000 10000 100000"}

CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$out/sv" .   # the lean build README recommends
go build -o "$out/measure" ./bench/measure
go build -o "$out/genvalues" ./bench/genvalues
sops=$(go tool -modfile=tools/go.mod -n sops)
rm -f "$out/key.txt"
"$out/sv" keygen -o "$out/key.txt" 2>"$out/recipient.txt"
recipient=$(sed 's/^Public key: //' "$out/recipient.txt")
export SOPS_AGE_KEY_FILE="$PWD/$out/key.txt" SOPS_DISABLE_VERSION_CHECK=1

printf '%-7s %9s %8s %9s %7s %8s %9s %7s %7s %8s %6s\n' leaves bytes sv_ms sops_ms speedup sv_cpu sops_cpu cpu_x sv_MiB sops_MiB mem

for n in $SIZES; do
  f="$out/values-$n.yaml"
  "$out/genvalues" "$n" > "$f"
  "$out/sv" encrypt --age "$recipient" "$f" 2>/dev/null
  runs=${RUNS:-$([ "$n" -ge 100000 ] && echo 3 || echo 10)}
  read -r sv_ms sv_cpu sv_mib < <("$out/measure" "$runs" "$out/sv" decrypt "$f")
  read -r sops_ms sops_cpu sops_mib < <("$out/measure" "$runs" "$sops" decrypt "$f")
  awk -v n="$n" -v b="$(wc -c < "$f")" -v a="$sv_ms" -v s="$sops_ms" -v ac="$sv_cpu" -v sc="$sops_cpu" -v am="$sv_mib" -v sm="$sops_mib" \
    'BEGIN { printf "%-7s %9s %8s %9s %6.1fx %8s %9s %6.1fx %7s %8s %5.2fx\n", n, b, a, s, s / a, ac, sc, sc / ac, am, sm, am / sm }'
done
