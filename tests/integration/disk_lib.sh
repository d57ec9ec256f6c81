# Helpers for the disk integrity and lifecycle tests (kill9_integrity.sh,
# disk_safety.sh), sourced after lib.sh. POSIX sh, like lib.sh.

# start_guest_script NAME SCRIPT [berth run options...]: run_guest_script in
# the background: the guest runs SCRIPT, from a read-only disk after the
# disks in the options (the last /dev/vdX), while the test watches
# $TMP/NAME.out; sets $berth_pid. Stdin is /dev/null.
start_guest_script() {
    name=$1
    script_image=$(make_script_disk "$1" "$2")
    shift 2
    "$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" \
        --cmdline "$GUEST_CMDLINE -- sh \$(ls /dev/vd* | tail -n 1)" "$@" --disk "$script_image,ro" \
        </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
    berth_pid=$!
}

# pause: a short wait between two looks at a log (busybox and GNU sleep
# both take fractions).
pause() {
    sleep 0.2 2>/dev/null || sleep 1
}

# wait_marker NAME PATTERN: waits until the console output of the Berth
# started by start_guest_script contains PATTERN; fails when Berth exits
# first or after $BOOT_TIMEOUT seconds.
wait_marker() {
    waited=0
    until grep -q -- "$2" "$TMP/$1.out"; do
        still_running "$berth_pid" || grep -q -- "$2" "$TMP/$1.out" ||
            fail "$1: Berth exited before the guest printed '$2'"
        [ "$waited" -lt $((BOOT_TIMEOUT * 5)) ] || fail "$1: no '$2' after $BOOT_TIMEOUT s"
        pause
        waited=$((waited + 1))
    done
}

# stop_with SIGNAL: sends SIGNAL to that Berth and reaps it (at most
# $STOP_TIMEOUT seconds, then it is a hang); sets STATUS.
stop_with() {
    kill "-$1" "$berth_pid"
    waited=0
    while still_running "$berth_pid" && [ "$waited" -lt "$STOP_TIMEOUT" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if still_running "$berth_pid"; then
        kill -KILL "$berth_pid" 2>/dev/null
        fail "Berth still running $STOP_TIMEOUT s after SIG$1"
    fi
    STATUS=0
    wait "$berth_pid" || STATUS=$?
    berth_pid=
}

# expect_unlocked IMAGE: nobody holds a flock() on IMAGE any more, so the
# next Berth can open it.
expect_unlocked() {
    command -v flock >/dev/null || fail "flock(1) is missing (util-linux)"
    flock -n -x "$1" true || fail "$1 is still locked after Berth exited"
}

sha() { sha256sum | cut -d' ' -f1; }
