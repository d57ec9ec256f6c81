#!/bin/sh
# Typing into the serial console reaches the guest's shell, and its answer
# comes back: the UART's receive path, interrupts and all, end to end.
. "$(dirname "$0")/lib.sh"

mkfifo "$TMP/console.in"
"$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" \
    --cmdline "$GUEST_CMDLINE" <"$TMP/console.in" >"$TMP/console.out" 2>"$TMP/console.err" &
berth_pid=$!
exec 3>"$TMP/console.in"  # the writer end; Berth's stdin opens once this does

wait_for "$TMP/console.out" 'Berth guest ready' "$BOOT_TIMEOUT" || fail "no shell banner"
# The guest computes 3*5: the echo of what we type shows "$((3*5))", only the
# shell's answer shows 15.
printf 'echo typed-$((3*5))\r' >&3
wait_for "$TMP/console.out" 'typed-15' 300 || fail "the shell did not answer typed input"
printf 'poweroff\r' >&3
STATUS=0
wait "$berth_pid" || STATUS=$?
exec 3>&-
expect_status console 0
expect_stderr console 'guest powered off'
echo "ok: typed input reached the guest shell and its answer came back"
