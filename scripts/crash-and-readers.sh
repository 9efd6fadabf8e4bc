#!/usr/bin/env bash
# The two measurements behind "the scheduled job never loses a table", repeatable by anyone:
#
#  1. SIGKILL at many moments of a run over two real-size releases (the CMS sample and a
#     copy of it under the previous quarter's id), then one normal run: the warehouse must
#     equal an uninterrupted run's, file for file and byte for byte (run reports aside).
#  2. `mpfs releases`, `mpfs status` and a non-saving `mpfs diff` every 0.2 s from other
#     processes while `mpfs run` builds a synthetic mirror of 8 full-scale releases: no reader
#     may fail, and the final warehouse must equal a clean run's.
#
#   scripts/crash-and-readers.sh MPFS [MPFS_SYNTH]     (defaults: target/debug binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
mpfs=$(realpath "${1:-$target/debug/mpfs}")
synth=$(realpath "${2:-$target/debug/mpfs-synth}")
sample=${MPFS_SAMPLES:-../shared/cms-samples}/rvu25d.zip
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

files() { (cd "$1" && find . -type f ! -path './_runs/*' -print0 | sort -z | xargs -0 sha256sum); }

echo "== 1. SIGKILL during a run of two real releases, then one normal run"
mkdir -p "$work/real"; cp "$sample" "$work/real/rvu25d.zip"; cp "$sample" "$work/real/rvu25c.zip"
"$mpfs" -qq run --mirror "$work/real" --data-dir "$work/clean" >/dev/null
files "$work/clean/warehouse" > "$work/clean.sums"
failures=0
for delay in 0.2 0.4 0.6 0.8 1.0 1.3 1.6 2.0 2.5 3.0 4.0 5.0; do
  rm -rf "$work/killed"
  "$mpfs" -qq run --mirror "$work/real" --data-dir "$work/killed" >/dev/null 2>&1 &
  pid=$!; sleep "$delay"; kill -9 "$pid" 2>/dev/null && killed=yes || killed="no (finished)"
  wait "$pid" 2>/dev/null || true
  rc=0; "$mpfs" -qq run --mirror "$work/real" --data-dir "$work/killed" >/dev/null || rc=$?
  if files "$work/killed/warehouse" | cmp -s - "$work/clean.sums"; then verdict=identical; else verdict=DIFFERENT; failures=$((failures + 1)); fi
  printf '  kill after %-4s s  killed: %-14s next run exit %s  warehouse %s\n' "$delay" "$killed" "$rc" "$verdict"
done

echo "== 2. readers every 0.2 s during a run of 8 full-scale synthetic releases"
"$synth" --scale --year-range 2024..2025 --out "$work/synthetic" >/dev/null
"$mpfs" -qq run --mirror "$work/synthetic" --data-dir "$work/clean8" >/dev/null
files "$work/clean8/warehouse" > "$work/clean8.sums"
"$mpfs" -qq run --mirror "$work/synthetic" --data-dir "$work/busy" --release 2024A --release 2024B >/dev/null
"$mpfs" -qq run --mirror "$work/synthetic" --data-dir "$work/busy" >"$work/run.log" 2>&1 &
run_pid=$!
reads=0; reader_errors=0
while kill -0 "$run_pid" 2>/dev/null; do
  for args in "releases --json" "status" "diff --from 2024A --to 2024B --no-save"; do
    # shellcheck disable=SC2086
    if MPFS_DATA_DIR="$work/busy" "$mpfs" -qq $args >/dev/null 2>"$work/reader.err"; then
      reads=$((reads + 1))
    else
      reader_errors=$((reader_errors + 1)); cat "$work/reader.err"
    fi
  done
  sleep 0.2
done
rc=0; wait "$run_pid" || rc=$?
if files "$work/busy/warehouse" | cmp -s - "$work/clean8.sums"; then verdict=identical; else verdict=DIFFERENT; failures=$((failures + 1)); fi
echo "  run exit $rc; $reads reader commands, $reader_errors failed; warehouse $verdict to a clean run"
grep -c "^diff " "$work/run.log" | sed 's/^/  diffs refreshed by the run: /'
[ "$failures" -eq 0 ] && [ "$reader_errors" -eq 0 ] && [ "$rc" -eq 0 ]
