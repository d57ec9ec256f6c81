#!/bin/sh
# The gdb stub on lab 3 (docs/gdb.md): gdb attaches to the real-mode guest,
# breaks at the symbol protected_entry (reached only after the switch to
# protected mode), single-steps `mov $DATA_SELECTOR, %ax`, and reads EAX:
# its low half must be the data selector, 0x10, and EIP must have moved on
# by that instruction's four bytes. Then gdb lets the guest run to its end.
. "$(dirname "$0")/lib.sh"

GDB=${GDB:-gdb}
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

# PYTHONHOME: gdb embeds Python; the sandbox carries only its encodings
# package (tests/labs/meson.build), which is all gdb's start-up needs.
PYTHONHOME=/usr "$GDB" -nx -batch -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
    -ex 'break protected_entry' -ex 'continue' -ex 'info registers eip' \
    -ex 'stepi' -ex 'info registers eax eip' -ex 'continue' "$ELF" >"$TMP/gdb" 2>&1
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

if grep -q 'Breakpoint 1, protected_entry' "$TMP/gdb"; then
    pass "gdb stopped at the breakpoint on protected_entry"
else
    check_failed "gdb did not stop at protected_entry"
fi
entry=$(sed -n 's/^eip *\(0x[0-9a-f]*\) .*<protected_entry>$/\1/p' "$TMP/gdb")
after=$(sed -n 's/^eip *\(0x[0-9a-f]*\) .*<protected_entry+4>$/\1/p' "$TMP/gdb")
if [ -n "$entry" ] && [ -n "$after" ] && [ $((after - entry)) -eq 4 ]; then
    pass "stepi moved EIP from $entry past the 4-byte instruction to $after"
else
    check_failed "stepi: EIP did not move from protected_entry to protected_entry+4"
fi
eax=$(sed -n 's/^eax *\(0x[0-9a-f]*\) .*/\1/p' "$TMP/gdb")
if [ -n "$eax" ] && [ $((eax & 0xffff)) -eq 16 ]; then
    pass "EAX after the step is $eax: AX holds the data selector 0x10"
else
    check_failed "EAX after the step should end in 0x0010, got '$eax'"
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
