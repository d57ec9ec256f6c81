# Shared helpers for the integration tests. POSIX sh: these scripts also run
# under busybox sh inside scripts/kvm-sandbox.
#
# Each test boots the default guest (build/guest, made by guest/build-guest)
# with build/berth and checks what really happened: output the guest computed,
# Berth's exit status and its one-line stop reason.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$ROOT/build/berth}  # tests/sanitizers/run.sh points it at build-asan
KERNEL=$ROOT/build/guest/vmlinuz
INITRD=$ROOT/build/guest/initrd.img
# quiet: fewer serial exits; panic=-1: a panicking guest resets and ends Berth.
GUEST_CMDLINE="console=ttyS0 quiet panic=-1 reboot=k"
# Generous: under the nested sandbox everything runs many times slower.
BOOT_TIMEOUT=900

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for file in "$BERTH" "$KERNEL" "$INITRD"; do
    if [ ! -e "$file" ]; then
        echo "missing $file: run ./scripts/setup (or ./scripts/test) first" >&2
        exit 1
    fi
done

fail() {
    echo "FAIL: $*" >&2
    # A Berth started in the background must not outlive the test.
    [ -z "${berth_pid:-}" ] || kill -KILL "$berth_pid" 2>/dev/null
    for log in "$TMP"/*.out "$TMP"/*.err; do
        [ -f "$log" ] || continue
        echo "----- $log (last 40 lines)" >&2
        tail -n 40 "$log" >&2
    done
    exit 1
}

# run_berth NAME [berth run options...]: boots the default guest with stdin
# from /dev/null; stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, exit
# status in $STATUS.
run_berth() {
    name=$1
    shift
    STATUS=0
    "$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" "$@" \
        </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || STATUS=$?
}

# run_guest_command NAME "shell command" [more berth options...]: boots the
# guest with the command after "--" on the kernel command line; the guest's
# /init runs it and powers off.
run_guest_command() {
    name=$1
    command=$2
    shift 2
    run_berth "$name" --cmdline "$GUEST_CMDLINE -- $command" "$@"
}

# make_script_disk NAME SCRIPT: writes SCRIPT to $TMP/NAME.script as a disk
# image (whole 512-byte sectors, padded with newlines, which sh skips) for
# the guest to run with "sh /dev/vdX". For scripts too long for the kernel
# command line, which passes at most 32 words to init.
make_script_disk() {
    image=$TMP/$1.script
    printf '%s\n' "$2" >"$image"
    size=$(wc -c <"$image")
    head -c $(((512 - size % 512) % 512)) /dev/zero | tr '\0' '\n' >>"$image"
    echo "$image"
}

# run_guest_script NAME SCRIPT [berth run options...]: run_guest_command for
# a long script. It reaches the guest on a read-only disk after the disks in
# the options (which are vda, vdb, ... in order).
run_guest_script() {
    name=$1
    image=$(make_script_disk "$1" "$2")
    shift 2
    disks=0
    for arg in "$@"; do
        [ "$arg" != --disk ] || disks=$((disks + 1))
    done
    letter=$(echo abcdefghijklmnopqrstuvwxyz | cut -c $((disks + 1)))
    run_berth "$name" --cmdline "$GUEST_CMDLINE -- sh /dev/vd$letter" "$@" --disk "$image,ro"
}

expect_status() {
    [ "$STATUS" = "$2" ] || fail "$1: exit status $STATUS, expected $2"
}

expect_output() {  # NAME PATTERN: the guest's console output contains PATTERN
    grep -q -- "$2" "$TMP/$1.out" || fail "$1: console output lacks '$2'"
}

expect_stderr() {  # NAME PATTERN: Berth's own messages contain PATTERN
    grep -q -- "$2" "$TMP/$1.err" || fail "$1: stderr lacks '$2'"
}

# wait_for FILE PATTERN SECONDS [PID]: poll until FILE contains PATTERN;
# fails after SECONDS polls, or at once when process PID (the Berth that
# writes FILE) has ended without it.
wait_for() {
    waited=0
    until grep -q -- "$2" "$1" 2>/dev/null; do
        [ "$waited" -lt "$3" ] || return 1
        if [ -n "${4:-}" ] && ! still_running "$4"; then
            grep -q -- "$2" "$1" 2>/dev/null
            return
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

still_running() {  # PID: alive and not a zombie waiting to be reaped
    state=
    { read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null || return 1
    [ "$state" != Z ]
}

# start_shell NAME [CMDLINE [berth run options...]]: boots the guest to its
# interactive shell with stdin on a fifo (fd 3 writes to it); sets $berth_pid.
start_shell() {
    name=$1
    cmdline=${2:-$GUEST_CMDLINE}
    shift
    [ "$#" -eq 0 ] || shift
    rm -f "$TMP/$name.in"
    mkfifo "$TMP/$name.in"
    "$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" \
        --cmdline "$cmdline" "$@" <"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    berth_pid=$!
    exec 3>"$TMP/$name.in"
    waited=0
    until grep -q 'Berth guest ready' "$TMP/$name.out"; do
        still_running "$berth_pid" || grep -q 'Berth guest ready' "$TMP/$name.out" ||
            fail "$name: Berth exited before the shell banner"
        [ "$waited" -lt "$BOOT_TIMEOUT" ] || fail "$name: no shell banner after $BOOT_TIMEOUT s"
        sleep 1
        waited=$((waited + 1))
    done
}

# finish: waits for the Berth start_shell started, closes the fifo, sets
# STATUS. Berth has been asked to stop by now (a signal, the escape, a guest
# poweroff), so one that is still running after STOP_TIMEOUT seconds is a
# hang: it is killed and the test fails with its logs, instead of waiting
# for the test harness's timeout with nothing to show.
STOP_TIMEOUT=300
finish() {
    waited=0
    while still_running "$berth_pid" && [ "$waited" -lt "$STOP_TIMEOUT" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if [ "$waited" -ge "$STOP_TIMEOUT" ]; then
        kill -KILL "$berth_pid" 2>/dev/null
        fail "$name: Berth still running $STOP_TIMEOUT s after it was asked to stop"
    fi
    STATUS=0
    wait "$berth_pid" || STATUS=$?
    berth_pid=
    exec 3>&-
}
