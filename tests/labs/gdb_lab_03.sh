#!/bin/sh
# The gdb stub on lab 3 (docs/gdb.md): gdb attaches to the real-mode guest,
# stops at the symbol print16 (a breakpoint; single steps in the sandbox),
# single-steps `mov $0xe9, %dx` and reads the registers: DX must hold the
# debug console's port and EIP must have moved on by that instruction's
# three bytes. Then gdb lets the guest run to its end.
. "$(dirname "$0")/lib.sh"

GDB=${GDB:-gdb}
# gdb talks to the stub over loopback, which the sandbox VM starts with down.
if [ -n "${BERTH_IN_SANDBOX:-}" ]; then
    ip link set lo up
fi
PORT=12345
ELF=$LAB_BUILD/03-protected.elf
"$BERTH" run --image "$LAB_BUILD/03-protected.bin" --mode real --gdb "$PORT" \
    --timeout "$LAB_TIMEOUT" </dev/null >"$TMP/out" 2>"$TMP/err" &
berth_pid=$!
waited=0
until grep -q 'waiting for gdb' "$TMP/err"; do
    [ "$waited" -lt 300 ] || { check_failed "Berth never said it waits for gdb"; finish_checks "gdb on lab 3"; }
    sleep 1
    waited=$((waited + 1))
done

# How gdb gets to print16: a breakpoint on the symbol where
# hardware breakpoints work (KVM on a real CPU). In the QEMU sandbox they do
# not: QEMU's emulated SVM never arms the nested guest's DR7, so gdb steps
# there one instruction at a time instead (single steps do work there).
if [ -n "${BERTH_IN_SANDBOX:-}" ]; then
    printf '%s\n' 'while $pc != print16' 'stepi' 'end' >"$TMP/reach"
    how="stepped to"
else
    printf '%s\n' 'break print16' 'continue' >"$TMP/reach"
    how="stopped at the breakpoint on"
fi
{
    echo 'set pagination off'
    echo "target remote 127.0.0.1:$PORT"
    cat "$TMP/reach"
    echo 'info registers eip'
    echo 'stepi'
    echo 'info registers edx eip'
    echo 'continue'
} >"$TMP/commands"
# PYTHONHOME: gdb embeds Python; the sandbox carries only its encodings
# package (tests/labs/meson.build), which is all gdb's start-up needs.
PYTHONHOME=/usr "$GDB" -nx -batch -x "$TMP/commands" "$ELF" >"$TMP/gdb" 2>&1
# After gdb's last continue the guest ends at once; a Berth still running
# after two minutes means gdb never let it go.
waited=0
while kill -0 "$berth_pid" 2>/dev/null && [ "$waited" -lt 120 ]; do
    sleep 1
    waited=$((waited + 1))
done
kill -KILL "$berth_pid" 2>/dev/null
STATUS=0
wait "$berth_pid" || STATUS=$?

if grep -q '^eip *0x[0-9a-f]* *0x[0-9a-f]* <print16>$' "$TMP/gdb"; then
    pass "gdb $how print16"
else
    check_failed "gdb did not stop at print16"
fi
entry=$(sed -n 's/^eip *\(0x[0-9a-f]*\) .*<print16>$/\1/p' "$TMP/gdb")
after=$(sed -n 's/^eip *\(0x[0-9a-f]*\) .*<print16+3>$/\1/p' "$TMP/gdb")
if [ -n "$entry" ] && [ -n "$after" ] && [ $((after - entry)) -eq 3 ]; then
    pass "stepi moved EIP from $entry past the 3-byte instruction to $after"
else
    check_failed "stepi: EIP did not move from print16 to print16+3"
fi
edx=$(sed -n 's/^edx *\(0x[0-9a-f]*\) .*/\1/p' "$TMP/gdb")
if [ -n "$edx" ] && [ $((edx & 0xffff)) -eq 233 ]; then
    pass "EDX after the step is $edx: DX holds the debug console's port 0xe9"
else
    check_failed "EDX after the step should end in 0x00e9, got '$edx'"
fi
if [ "$STATUS" -eq 0 ] && grep -q 'exit port' "$TMP/err"; then
    pass "the guest ran on to its exit port after gdb's continue"
else
    check_failed "Berth's status after gdb's continue: $STATUS"
fi
if [ "$checks_failed" -ne 0 ]; then
    echo "----- gdb" && cat "$TMP/gdb"
    echo "----- Berth's stderr" && cat "$TMP/err"
fi
finish_checks "gdb on lab 3"
