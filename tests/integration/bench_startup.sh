#!/bin/sh
# `berth bench startup` end to end: Berth, QEMU -M microvm and runc (or crun)
# each start the workload twice, through scripts/kvm-sandbox where this host
# has no usable /dev/kvm; then every system has two ok rows in runs.csv,
# results.md has their tables, the charts are real images, and every Berth
# run's timeline is in causal order and agrees with the bench's own clock.
#
# Run on the host (meson runs it so): it starts the sandbox itself, because
# the charts need python3-matplotlib, which the sandbox does not carry; they
# are drawn here when the bench inside could not draw them. Inside, the
# script is called again with --inside to run the bench.
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inside ]; then
    out=$2
    systems=$3
    runs=${4:-2}  # tests/labs/lab_08.sh asks for 1
    # runc and crun need cgroups; the sandbox's /init mounts none. Never
    # mount over a real host's /sys/fs/cgroup (direct mode).
    if [ "${BERTH_IN_SANDBOX:-}" = 1 ] && ! grep -q ' /sys/fs/cgroup cgroup' /proc/mounts; then
        mount -t cgroup2 none /sys/fs/cgroup || exit 1
    fi
    exec "$BERTH" bench startup --runs "$runs" --warmup 0 --run-timeout 5 --systems "$systems" --out "$out"
fi

runtime=
for candidate in runc crun; do
    if command -v "$candidate" >/dev/null; then
        runtime=$candidate
        break
    fi
done
[ -n "$runtime" ] || fail "neither runc nor crun is installed (scripts/setup installs both)"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed"
systems=berth,berth-vmlinux,qemu-microvm,$runtime
"$ROOT/guest/build-workload" >"$TMP/build-workload.out" 2>&1 || fail "guest/build-workload failed"

out=$TMP/bench
STATUS=0
BERTH_SANDBOX_BINARIES="qemu-system-x86_64 $runtime" \
BERTH_SANDBOX_FILES="/usr/share/seabios /usr/share/qemu $ROOT/build/workload $ROOT/build/guest/vmlinux" \
    "$ROOT/scripts/kvm-sandbox" --cpus 2 --timeout 2400 --out "$out" -- \
    "$0" --inside "$out" "$systems" >"$TMP/bench.out" 2>"$TMP/bench.err" || STATUS=$?
if [ "$STATUS" != 0 ] && [ -d "$out/logs" ]; then
    # fail() shows $TMP/*.out and *.err: every run's console and messages.
    for log in "$out"/logs/*; do
        cp "$log" "$TMP/run-${log##*/}"
    done
fi
expect_status bench 0
expect_output bench 'berth bench startup: 2 round(s)'

# --- runs.csv: two ok rows per system, with times in order ---------------------
csv=$out/runs.csv
[ -f "$csv" ] || fail "no $csv"
head -n 1 "$csv" | grep -q '^system,round,position,status,wall_running_ms,wall_exit_ms,cpu_ms,rss_kib,pss_kib,' ||
    fail "runs.csv has an unexpected header: $(head -n 1 "$csv")"
for system in $(echo "$systems" | tr , ' '); do
    rows=$(awk -F, -v s="$system" 'NR > 1 && $1 == s' "$csv" | wc -l)
    [ "$rows" -eq 2 ] || fail "runs.csv has $rows rows for $system, expected 2"
    ok=$(awk -F, -v s="$system" 'NR > 1 && $1 == s && $4 == "ok" && $5 > 0 && $5 + 0 <= $6 + 0 && $7 > 0 && $8 > 0' "$csv" | wc -l)
    [ "$ok" -eq 2 ] || fail "$system: $ok ok rows with running <= exit, CPU and RSS, expected 2: $(grep "^$system," "$csv")"
    grep -q "^| $system | 2 | 0 | - |" "$out/results.md" || fail "results.md does not list 2 ok runs of $system"
    grep -q "^| $system | 2 | " "$out/results.md" || fail "results.md has no figures for $system"
done
grep -q '^| guest kernel | ' "$out/results.md" || fail "results.md lacks the environment"
if [ "$("$ROOT/scripts/kvm-sandbox" --print-mode)" = qemu ]; then
    grep -q 'absolute times are emulated, only ratios count' "$out/results.md" ||
        fail "results.md does not say that sandbox times are emulated"
fi

# --- The charts: drawn here if the sandbox could not -----------------------------
if [ ! -f "$out/startup.svg" ] && [ ! -f "$out/startup.png" ]; then
    /usr/bin/python3 -c 'import matplotlib' 2>/dev/null ||
        fail "no python3-matplotlib here to draw the charts (scripts/setup installs it)"
    /usr/bin/python3 "$ROOT/scripts/bench/startup-charts.py" "$out" >"$TMP/charts.out" 2>"$TMP/charts.err" ||
        fail "scripts/bench/startup-charts.py failed"
fi
for chart in startup berth-phases; do
    if [ -f "$out/$chart.svg" ]; then
        python3 -c 'import sys, xml.etree.ElementTree as tree
sys.exit(tree.parse(sys.argv[1]).getroot().tag != "{http://www.w3.org/2000/svg}svg")' "$out/$chart.svg" ||
            fail "$chart.svg is not an SVG document"
    elif [ -f "$out/$chart.png" ]; then
        [ "$(head -c 8 "$out/$chart.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
            fail "$chart.png is not a PNG image"
    else
        fail "no $chart chart"
    fi
done

# --- Every Berth run's timeline: causal order, and within the bench's times -------
timeline=$out/berth-timeline.csv
head -n 1 "$timeline" | grep -q '^system,round,name,us$' || fail "berth-timeline.csv has an unexpected header"
for berth in berth berth-vmlinux; do
    for round in 1 2; do
        previous=-1
        for milestone in kvm-ready memory-mapped kernel-loaded first-kvm-run guest-init-reached vm-stopped; do
            us=$(awk -F, -v s="$berth" -v r="$round" -v m="$milestone" 'NR > 1 && $1 == s && $2 == r && $3 == m { print $4 }' "$timeline")
            [ -n "$us" ] || fail "$berth's timeline of round $round lacks $milestone"
            [ "$us" -ge "$previous" ] || fail "$berth round $round: $milestone at $us us comes before the milestone before it ($previous us)"
            previous=$us
        done
        awk -F, -v s="$berth" -v r="$round" 'NR > 1 && $1 == s && $2 == r { if ($NF + 0 < last) bad = 1; last = $NF + 0 } END { exit bad }' "$timeline" ||
            fail "$berth's timeline of round $round is not in time order"
        # Berth counts from its own start, the bench from just before it spawned
        # Berth: the guest reached init before its "running" line arrived, and
        # the VM stopped before the process exited.
        init_us=$(awk -F, -v s="$berth" -v r="$round" 'NR > 1 && $1 == s && $2 == r && $3 == "guest-init-reached" { print $4 }' "$timeline")
        stop_us=$(awk -F, -v s="$berth" -v r="$round" 'NR > 1 && $1 == s && $2 == r && $3 == "vm-stopped" { print $4 }' "$timeline")
        awk -F, -v s="$berth" -v r="$round" -v init="$init_us" -v stop="$stop_us" \
            'NR > 1 && $1 == s && $2 == r { found = 1; if (init / 1000 > $5 || stop / 1000 > $6) bad = 1 }
             END { exit !found || bad }' "$csv" ||
            fail "$berth round $round: its timeline (init $init_us us, stop $stop_us us) does not fit the bench's times"
    done
done
# The kernel-log run of each (round 0): the kernel's milestones on Berth's
# clock, its clock starting after the vCPU first ran and before init.
for berth in berth berth-vmlinux; do
    field() {  # the time of milestone $1 in $berth's kernel-log run
        awk -F, -v s="$berth" -v m="$1" 'NR > 1 && $1 == s && $2 == 0 && $3 == m { print $4 }' "$timeline"
    }
    first_run=$(field first-kvm-run)
    clock=$(field 'kernel: clock-start')
    kernel_init=$(field 'kernel: init-started')
    init=$(field guest-init-reached)
    [ -n "$first_run" ] && [ -n "$clock" ] && [ -n "$kernel_init" ] && [ -n "$init" ] ||
        fail "$berth's kernel-log run lacks first-kvm-run, the kernel's clock start, init-started or guest-init-reached"
    [ "$first_run" -le "$clock" ] && [ "$clock" -le "$kernel_init" ] && [ "$kernel_init" -le "$init" ] ||
        fail "$berth's kernel-log run: first-kvm-run $first_run, kernel clock $clock, kernel init $kernel_init, init reached $init us are out of order"
    grep -q "^| $berth | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* |$" "$out/results.md" ||
        fail "results.md does not split $berth's boot"
done

# berth-vmlinux really booted the uncompressed kernel.
grep -q -- '--kernel [^ ]*/vmlinux ' "$out"/logs/*berth-vmlinux*.err ||
    fail "berth-vmlinux's runs did not boot build/guest/vmlinux"

echo "ok: berth bench startup ran $systems twice each; CSV, tables, charts and timelines check out"
