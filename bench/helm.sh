#!/usr/bin/env bash
# What sv adds to `helm template` with encrypted values files, whole
# process, side by side: the same 10 values files in plaintext, through
# secrets:// URLs (Helm runs sv's downloader once per file), and through
# the wrapper (helm secrets template … -f FILE, one more sv process that
# rewrites the arguments, and a second helm). Prints median wall and CPU
# time (user+sys, including the plugin processes Helm waits for), the
# overhead per file against plaintext, and for the wrapper its one-off cost
# on top of secrets:// (one sv and one helm process per run, not per file).
#
#   bench/helm.sh                  # Helm 3 and Helm 4, 10 files, 15 runs
#   FILES=20 RUNS=25 LEAVES=200 HELMS=4 bench/helm.sh
#   SV_CGO=0 SV_TAGS=urfave_cli_no_docs bench/helm.sh
#                                  # a leaner sv: static, without urfave/cli's
#                                  # man-page generator (both cut process start)
#
# Nothing here is a test: the machine's load changes the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/helm
rm -rf "$out"
mkdir -p "$out"
FILES=${FILES:-10}
RUNS=${RUNS:-15}
LEAVES=${LEAVES:-100}
HELMS=${HELMS:-"3 4"}

CGO_ENABLED=${SV_CGO:-$(go env CGO_ENABLED)} go build ${SV_TAGS:+-tags "$SV_TAGS"} -o "$out/sv" .
go build -o "$out/measure" ./bench/measure
go build -o "$out/genvalues" ./bench/genvalues
"$out/sv" keygen -o "$out/key.txt" 2>"$out/recipient.txt"
recipient=$(sed 's/^Public key: //' "$out/recipient.txt")
export SOPS_AGE_KEY_FILE="$PWD/$out/key.txt"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE HELM_BIN HELM_PLUGINS

mkdir -p "$out/plain" "$out/enc"
plain=() urls=() wrapped=()
for i in $(seq 1 "$FILES"); do
  "$out/genvalues" "$LEAVES" > "$out/plain/values-$i.yaml"
  "$out/sv" encrypt --age "$recipient" -o "$out/enc/values-$i.yaml" "$out/plain/values-$i.yaml" 2>/dev/null
  plain+=(-f "plain/values-$i.yaml")
  urls+=(-f "secrets://enc/values-$i.yaml")
  wrapped+=(-f "enc/values-$i.yaml")
done
chart="$PWD/testdata/chart"

echo "helm template, $FILES values files of $LEAVES leaves each, median of $RUNS runs"
printf '%-6s %-24s %9s %9s %13s %12s %15s\n' helm mode wall_ms cpu_ms wall_ms/file cpu_ms/file once_wall/cpu
for major in $HELMS; do
  helm=$(go tool -modfile="tools/helm$major/go.mod" -n helm)
  export HELM_DATA_HOME="$PWD/$out/h$major/data" HELM_CONFIG_HOME="$PWD/$out/h$major/config" HELM_CACHE_HOME="$PWD/$out/h$major/cache"
  "$out/sv" plugin install --helm "$helm" 2>/dev/null
  (
    cd "$out"
    # the three runs must render the same thing
    "$helm" template r "$chart" "${plain[@]}" > render-plain.yaml
    "$helm" template r "$chart" "${urls[@]}" | cmp - render-plain.yaml
    HELM_BIN="$helm" ./sv helm template r "$chart" "${wrapped[@]}" | cmp - render-plain.yaml
    rm render-plain.yaml
    read -r p_ms p_cpu _ < <(./measure "$RUNS" "$helm" template r "$chart" "${plain[@]}")
    read -r u_ms u_cpu _ < <(./measure "$RUNS" "$helm" template r "$chart" "${urls[@]}")
    read -r w_ms w_cpu _ < <(HELM_BIN="$helm" ./measure "$RUNS" "$helm" secrets template r "$chart" "${wrapped[@]}")
    awk -v h="$major" -v n="$FILES" -v pms="$p_ms" -v pcpu="$p_cpu" -v ums="$u_ms" -v ucpu="$u_cpu" -v wms="$w_ms" -v wcpu="$w_cpu" 'BEGIN {
      printf "%-6s %-24s %9.1f %9.1f %13s %12s %15s\n", h, "plaintext -f FILE", pms, pcpu, "-", "-", "-"
      printf "%-6s %-24s %9.1f %9.1f %+13.1f %+12.1f %15s\n", h, "-f secrets://FILE", ums, ucpu, (ums - pms) / n, (ucpu - pcpu) / n, "-"
      printf "%-6s %-24s %9.1f %9.1f %+13.1f %+12.1f %7.0f/%-7.0f\n", h, "helm secrets -f FILE", wms, wcpu, (wms - pms) / n, (wcpu - pcpu) / n, wms - ums, wcpu - ucpu
    }'
  )
done
