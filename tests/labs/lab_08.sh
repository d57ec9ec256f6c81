#!/bin/sh
# Lab 8 - VM versus container: the student's report answers every question
# (and gives their start-up table), and the benchmark the report is about
# runs here: Berth and a container runtime start the same workload, each
# run ok, with the ratio table and Berth's boot timeline.
#
#   tests/labs/lab_08.sh [--report-only]
#
# Runs on the host (lab-check and meson call it so): the benchmark goes
# through scripts/kvm-sandbox itself where there is no usable /dev/kvm.
# LAB_REPORT (default guest/labs/08-vm-vs-container/report.md) is the
# report checked.
. "$(dirname "$0")/lib.sh"

report=${LAB_REPORT:-$ROOT/guest/labs/08-vm-vs-container/report.md}

# --- The report ---------------------------------------------------------------
if [ ! -f "$report" ]; then
    check_failed "no report at $report (./scripts/lab-start 8 makes the blank)"
    finish_checks "lab 8 (VM versus container)"
fi
todo=$(grep -c '^[[:space:]]*TODO[[:space:]]*$' "$report" || true)
if [ "$todo" = 0 ]; then
    pass "the report has no TODO left"
else
    check_failed "the report still has $todo TODO line(s)"
fi
# Each "## Qn." section: at least 25 words of answer.
awk '/^## Q[0-9]+\./ { if (q != "") print q, words; q = $2; words = 0; next }
     q != "" { words += NF }
     END { if (q != "") print q, words }' "$report" >"$TMP/answers"
questions=$(wc -l <"$TMP/answers")
short=$(awk '$2 < 25 { printf "%s ", $1 }' "$TMP/answers")
if [ "$questions" -ge 7 ] && [ -z "$short" ]; then
    pass "the report answers all $questions questions"
else
    check_failed "the report should answer Q1 to Q7 in a few sentences each (short or missing: ${short:-none}; $questions found)"
fi
if grep -Eq '^\| berth \| [0-9]+ \| [0-9.]+ ' "$report" &&
    grep -Eq '^\| (runc|crun|docker) \| [0-9]+ \| [0-9.]+ ' "$report"; then
    pass "Q1 has the start-up table, with Berth and a container"
else
    check_failed "Q1 should have the rows of your start-up table for berth and a container runtime (| berth | runs | p50 | ...)"
fi
if [ "${1:-}" = --report-only ]; then
    finish_checks "lab 8 (VM versus container): the report"
    exit 0
fi

# --- The benchmark --------------------------------------------------------------
runtime=
for candidate in crun runc; do
    if command -v "$candidate" >/dev/null; then
        runtime=$candidate
        break
    fi
done
if [ -z "$runtime" ]; then
    check_failed "neither crun nor runc is installed (scripts/setup installs both)"
    finish_checks "lab 8 (VM versus container)"
fi
"$ROOT/guest/build-workload" >"$TMP/build-workload.log" 2>&1 || {
    check_failed "guest/build-workload failed:"
    tail -n 20 "$TMP/build-workload.log"
    finish_checks "lab 8 (VM versus container)"
}
out=$TMP/bench
status=0
# tests/integration/bench_startup.sh's --inside part mounts cgroup2 in the
# sandbox and runs the bench; here with one round of two systems.
BERTH_SANDBOX_BINARIES=$runtime BERTH_SANDBOX_FILES="$ROOT/build/workload" \
    "$ROOT/scripts/kvm-sandbox" --cpus 2 --timeout 1800 --out "$out" -- \
    "$ROOT/tests/integration/bench_startup.sh" --inside "$out" "berth,$runtime" 1 \
    >"$TMP/bench.out" 2>"$TMP/bench.err" || status=$?
results=$out/results.md
if [ "$status" = 0 ] && grep -q "^| berth | 1 | 0 | - |" "$results" 2>/dev/null &&
    grep -q "^| $runtime | 1 | 0 | - |" "$results"; then
    pass "berth bench startup ran Berth and $runtime once each, both ok"
else
    check_failed "berth bench startup should run Berth and $runtime once each (status $status):"
    tail -n 20 "$TMP/bench.err"
    finish_checks "lab 8 (VM versus container)"
fi
ratio=$(awk -F'|' -v s=" $runtime " '/^## Start-up/ { t = 1 } t && $2 == s { print $9; exit }' "$results")
if [ -n "$ratio" ]; then
    pass "your start-up ratio, $runtime / Berth:$ratio (compare with Q2)"
else
    check_failed "results.md has no start-up ratio for $runtime"
fi
if awk -F, 'NR > 1 && $1 == "berth" && $3 == "first-kvm-run" { a = 1 } NR > 1 && $1 == "berth" && $3 == "guest-init-reached" { b = 1 }
            END { exit !(a && b) }' "$out/berth-timeline.csv" 2>/dev/null; then
    pass "Berth's timeline has first-kvm-run and guest-init-reached (Q3)"
else
    check_failed "berth-timeline.csv lacks first-kvm-run or guest-init-reached"
fi
rm -rf "$ROOT/build/lab-08-bench" && cp -r "$out" "$ROOT/build/lab-08-bench" && echo "the benchmark's results: build/lab-08-bench/results.md"
finish_checks "lab 8 (VM versus container)"
