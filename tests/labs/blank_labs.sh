#!/bin/sh
# The assembly labs' blank guests (guest/labs/NN/start/, assembled by meson
# as blank-NN-name.bin) must fail their lab checks: a check that passes on
# the blank grades nothing. Each blank exits at once through port 0xf4.
. "$(dirname "$0")/lib.sh"

mkdir "$TMP/blank"
for lab in 01-hello 03-protected 04-long 05-interrupts 06-virtqueue; do
    ln -s "$LAB_BUILD/blank-$lab.bin" "$TMP/blank/$lab.bin"
done
for lab in 01 03 04 05 06; do
    status=0
    LAB_BUILD=$TMP/blank sh "$(dirname "$0")/lab_$lab.sh" >"$TMP/lab_$lab.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ] && grep -q 'check(s) failed' "$TMP/lab_$lab.log"; then
        pass "lab $lab's checks fail on its blank guest"
    else
        check_failed "lab $lab's checks should fail on its blank guest (status $status):"
        cat "$TMP/lab_$lab.log"
    fi
done
finish_checks "the blank labs fail their checks"
