#!/bin/sh
# Typing into the serial console reaches the guest's shell, and its answer
# comes back: the UART's receive path, interrupts and all, end to end.
. "$(dirname "$0")/lib.sh"

start_shell console
# The guest computes 3*5: the echo of what we type shows "$((3*5))", only the
# shell's answer shows 15.
printf 'echo typed-$((3*5))\r' >&3
wait_for "$TMP/console.out" 'typed-15' 300 || fail "the shell did not answer typed input"
printf 'poweroff\r' >&3
finish
expect_status console 0
expect_stderr console 'guest powered off'
echo "ok: typed input reached the guest shell and its answer came back"
