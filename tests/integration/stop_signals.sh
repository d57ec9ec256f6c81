#!/bin/sh
# Berth stops cleanly from outside the guest: SIGTERM and SIGINT end it with
# 128+signal and a reason line, the console escape Ctrl-A x with status 0.
. "$(dirname "$0")/lib.sh"

# start_shell NAME: boots the guest to its interactive shell with stdin on a
# fifo (fd 3 writes to it); sets $berth_pid.
start_shell() {
    rm -f "$TMP/$1.in"
    mkfifo "$TMP/$1.in"
    "$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" \
        --cmdline "$GUEST_CMDLINE" <"$TMP/$1.in" >"$TMP/$1.out" 2>"$TMP/$1.err" &
    berth_pid=$!
    exec 3>"$TMP/$1.in"
    wait_for "$TMP/$1.out" 'Berth guest ready' "$BOOT_TIMEOUT" || fail "$1: no shell banner"
}

finish() {  # NAME: waits for Berth, closes the fifo, sets STATUS
    STATUS=0
    wait "$berth_pid" || STATUS=$?
    exec 3>&-
}

start_shell sigterm
kill -TERM "$berth_pid"
finish sigterm
expect_status sigterm 143
expect_stderr sigterm 'stopped by signal SIGTERM'

start_shell sigint
kill -INT "$berth_pid"
finish sigint
expect_status sigint 130
expect_stderr sigint 'stopped by signal SIGINT'

start_shell escape
printf '\001x' >&3
finish escape
expect_status escape 0
expect_stderr escape 'quit from the console (Ctrl-A x)'
echo "ok: SIGTERM, SIGINT and Ctrl-A x stop Berth cleanly"
