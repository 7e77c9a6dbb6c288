#!/usr/bin/env bash
# scripts/plot.sh: turns throughput_bench JSON (bench-results/*.json) into PNG plots with gnuplot:
#   sync_time.png  initial sync and push time against rows (log-log), Ferry by transport and the
#                  same-run baselines (plain SQLite insert, COPY TO, COPY FROM)
#   ratios.png     each measurement's median figure against its goal (1 = the goal; above = met)
# Several JSON files are merged (e.g. a 10k/100k run and a 1M run). Needs gnuplot and jq.
#
#   scripts/plot.sh bench-results/latest.json [more.json ...]    writes docs/perf/
#   FERRY_PLOT_DIR=/tmp/plots scripts/plot.sh a.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FERRY_PLOT_DIR:-$root/docs/perf}

[ $# -ge 1 ] || { echo "usage: scripts/plot.sh RESULTS.json [MORE.json ...]" >&2; exit 2; }
for f in "$@"; do [ -r "$f" ] || { echo "ferry: cannot read $f" >&2; exit 2; }; done
for tool in gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "ferry: $tool is missing (apt-get install -y gnuplot-nox jq)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every measurement of every file, one array.
jq -s '[.[].measurements[]]' "$@" >"$tmp/all.json"

# median of an array of numbers, in jq
median='def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# series NAME TRANSPORT FIELD FILE: "rows<TAB>median seconds" of one line of sync_time.png
series() {
  jq -r --arg n "$1" --arg t "$2" --arg f "$3" "$median"'
    [.[] | select(.name == $n and .transport == $t and (.[$f] | length) > 0)]
    | group_by(.rows)[] | last | "\(.rows)\t\(.[$f] | median)"' "$tmp/all.json" | sort -n >"$4"
}
plots=()
add() {  # add FILE TITLE STYLE
  [ -s "$1" ] && plots+=("'$1' using 1:2 with linespoints $3 title '$2'")
  return 0
}
for t in direct gateway; do
  series initial_sync_vs_sqlite_insert "$t" ferry "$tmp/init_$t"
  series push_vs_copy_from "$t" ferry "$tmp/push_$t"
done
series initial_sync_vs_sqlite_insert direct baseline "$tmp/sqlite"
series initial_sync_vs_copy_to direct baseline "$tmp/copy_to"
series push_vs_copy_from direct baseline "$tmp/copy_from"
add "$tmp/init_direct" "initial sync, Ferry direct" "lw 2 pt 7 lc rgb '#1f77b4'"
add "$tmp/init_gateway" "initial sync, Ferry via gateway" "lw 2 pt 5 lc rgb '#17becf'"
add "$tmp/sqlite" "plain SQLite bulk insert" "dt 2 lw 2 pt 6 lc rgb '#2ca02c'"
add "$tmp/copy_to" "PostgreSQL COPY TO" "dt 3 lw 2 pt 4 lc rgb '#7f7f7f'"
add "$tmp/push_direct" "push, Ferry direct" "lw 2 pt 9 lc rgb '#d62728'"
add "$tmp/push_gateway" "push, Ferry via gateway" "lw 2 pt 11 lc rgb '#ff7f0e'"
add "$tmp/copy_from" "PostgreSQL COPY FROM (plain table)" "dt 2 lw 2 pt 8 lc rgb '#9467bd'"
if [ ${#plots[@]} -gt 0 ]; then
  gnuplot <<EOF
set terminal pngcairo size 1000,650 font 'sans,11'
set output '$out/sync_time.png'
set title 'Sync time against rows (projectme Task; medians of the runs)'
set logscale xy
set xlabel 'rows'
set ylabel 'seconds'
set format x '%.0s%c'
set termoption noenhanced
set grid
set key top left
set datafile separator '\t'
plot $(IFS=,; echo "${plots[*]}")
EOF
  echo "ferry: wrote $out/sync_time.png" >&2
fi

# The merged measurements as a Markdown table on stdout (for docs/performance.md).
jq -r "$median"'
  def num: if . == null then "-" elif . >= 100 then (. | round | tostring) else ((. * 1000 | round) / 1000 | tostring) end;
  "| measurement | rows | via | Ferry | baseline | figure (median) | runs min-max | goal | met |",
  "|---|---|---|---|---|---|---|---|---|",
  (group_by([.name, .rows, .transport])[] | last
   | "| \(.name) | \(.rows) | \(.transport) | \(.ferry | median | num) \(.unit) | \(if (.baseline | length) > 0 then "\(.baseline | median | num) \(.unit)" else "-" end) | \(.figures | median | num) | \(.figures | min | num)-\(.figures | max | num) | \(.goal) | \(if .met == null then "-" elif .met then "yes" else "**no**" end) |")
  ' "$tmp/all.json"

# ratios.png: attainment = figure / goal for a ">=" goal, goal / figure for a "<=" goal, so 1 is
# the goal and above it is met (capped at 100); the error bar is the spread of the per-run figures.
jq -r "$median"'
  def rows_text: if . >= 1000000 then "\(. / 1000000)M" elif . >= 1000 then "\(. / 1000)k" else "\(.)" end;
  def att(g; x): (if (g | startswith(">=")) then x / (g | ltrimstr(">= ") | tonumber)
                  elif x <= 0 then 100 else (g | ltrimstr("<= ") | tonumber) / x end) | [., 100] | min;
  [.[] | select(.goal != "-" and (.figures | length) > 0)]
  | group_by([.name, .rows, .transport])[] | last
  | "\(.name | sub("_vs_.*"; "")) \(.rows | rows_text) \(.transport)\t\(att(.goal; (.figures | median)))\t\(
      [att(.goal; (.figures | min)), att(.goal; (.figures | max))] | min)\t\(
      [att(.goal; (.figures | min)), att(.goal; (.figures | max))] | max)"' "$tmp/all.json" >"$tmp/ratios"
if [ -s "$tmp/ratios" ]; then
  width=$(( 300 + 45 * $(wc -l <"$tmp/ratios") ))
  gnuplot <<EOF
set terminal pngcairo size $width,650 font 'sans,10'
set output '$out/ratios.png'
set title 'Each measurement against its goal (1 = the goal; above the line: met)'
set datafile separator '\t'
set termoption noenhanced
set style fill solid 0.6
set boxwidth 0.7
set logscale y
set ylabel 'goal attainment (figure / goal, or goal / figure for an upper bound)'
set xtics rotate by -50 left
set bmargin 14
set rmargin 14
set grid ytics
set key off
plot '$tmp/ratios' using 0:2:xtic(1) with boxes lc rgb '#1f77b4', \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0, \
     1 with lines lw 2 lc rgb '#d62728'
EOF
  echo "ferry: wrote $out/ratios.png" >&2
fi
