#!/bin/sh
# Hostile guests (guest/hostile): bare-metal programs that misbehave on
# purpose. Berth must survive each one, stop it the documented way, and keep
# its own memory bounded while a guest floods it:
#   - triple_fault: the guest resets ("guest reset (triple fault)", status 0);
#   - spin, sleep_forever: a guest that never does anything (or halts with
#     nothing to wake it) ends only by --timeout (status 124), with either
#     irqchip;
#   - unmapped: reads of unclaimed I/O ports and physical addresses give
#     all-ones, writes are dropped, the guest carries on;
#   - uart_flood: a byte to the UART per exit, for ever, with no newline:
#     Berth's peak RSS stays under the ceiling; and with its stdout a pipe
#     nobody reads, --timeout still stops it;
#   - kick_flood_rng, kick_flood_net: a virtqueue notified in a tight loop
#     with ever more (bogus) available entries, of 64 KiB buffers and of the
#     largest transmit frames virtio-net allows: the peak RSS stays under the
#     ceiling and the doorbells really rang.
# Runs inside scripts/kvm-sandbox where there is no usable /dev/kvm.
. "$(dirname "$0")/lib.sh"

IMAGES=$ROOT/build/guest/hostile
# Berth's own memory is a few MiB (about 9 MiB here, guest pages touched
# included); a flood that leaked per exit or per kick would pass this in
# seconds.
CEILING_KIB=$((48 * 1024))
FLOOD_SECONDS=30

# run_image NAME IMAGE [berth run options...]: stdout in $TMP/NAME.out,
# stderr in $TMP/NAME.err, status in $STATUS; meanwhile the peak of Berth's
# VmHWM (KiB) goes to $PEAK_KIB.
run_image() {
    name=$1
    image=$IMAGES/$2
    shift 2
    [ -f "$image" ] || fail "$image is missing: build it with ninja -C build"
    "$BERTH" run --image "$image" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
    berth_pid=$!
    PEAK_KIB=0
    while still_running "$berth_pid"; do
        hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$berth_pid/status" 2>/dev/null)
        [ -z "$hwm" ] || [ "$hwm" -le "$PEAK_KIB" ] || PEAK_KIB=$hwm
        sleep 1
    done
    STATUS=0
    wait "$berth_pid" || STATUS=$?
    berth_pid=
}

expect_bounded() {  # NAME
    [ "$PEAK_KIB" -gt 0 ] || fail "$1: Berth's memory was never sampled"
    [ "$PEAK_KIB" -le "$CEILING_KIB" ] ||
        fail "$1: Berth's peak RSS was $PEAK_KIB KiB, over the ceiling of $CEILING_KIB KiB"
    echo "ok: $1: Berth's peak RSS $PEAK_KIB KiB (ceiling $CEILING_KIB KiB)"
}

# --- Guests that end badly, or never --------------------------------------------
run_image triple_fault triple_fault.bin --mode real --timeout 600
expect_status triple_fault 0
expect_stderr triple_fault 'guest reset (triple fault)'
echo "ok: a triple fault resets the guest: Berth stops with status 0"

run_image spin spin.bin --mode real --timeout 20
expect_status spin 124
expect_stderr spin 'stopped after --timeout 20 s'
for irqchip in kernel none; do
    run_image "sleep_$irqchip" sleep_forever.bin --mode real --irqchip "$irqchip" --timeout 20
    expect_status "sleep_$irqchip" 124
    expect_stderr "sleep_$irqchip" 'stopped after --timeout 20 s'
done
echo "ok: a guest that spins, or halts with nothing to wake it, ends at --timeout (status 124)"

run_image unmapped unmapped.bin --mode protected --memory 64M --timeout 600
expect_status unmapped 0
printf 'ports: 0 of 768 reads were not all ones\nmemory: 0 of 6 reads were not all ones\n' >"$TMP/unmapped.expected"
cmp -s "$TMP/unmapped.expected" "$TMP/unmapped.out" ||
    fail "unmapped: the guest read something other than all-ones: $(cat "$TMP/unmapped.out")"
echo "ok: 768 unclaimed ports and 6 unmapped addresses read as all-ones; writes dropped"

# --- Floods -------------------------------------------------------------------------
run_image uart_flood uart_flood.bin --mode real --timeout "$FLOOD_SECONDS"
expect_status uart_flood 124
bytes=$(wc -c <"$TMP/uart_flood.out")
[ "$bytes" -gt 1000 ] || fail "uart_flood: only $bytes bytes came out: no flood"
expect_bounded "uart_flood ($bytes bytes of output)"

# Its stdout a pipe that nobody reads: the vCPU blocks in write(), and
# --timeout must still end the run.
mkfifo "$TMP/stuck"
exec 4<>"$TMP/stuck"  # held open, never read: writes block once it is full
"$BERTH" run --image "$IMAGES/uart_flood.bin" --mode real --timeout 20 \
    </dev/null >"$TMP/stuck" 2>"$TMP/stuck_pipe.err" &
berth_pid=$!
waited=0
while still_running "$berth_pid"; do
    [ "$waited" -lt 600 ] || fail "uart_flood into a full pipe: Berth did not stop 10 minutes after --timeout 20"
    sleep 1
    waited=$((waited + 1))
done
STATUS=0
wait "$berth_pid" || STATUS=$?
berth_pid=
exec 4>&-
expect_status stuck_pipe 124
expect_stderr stuck_pipe 'stopped after --timeout 20 s'
echo "ok: with its stdout a full pipe, Berth still stops at --timeout"

run_image kick_flood_rng kick_flood_rng.bin --mode protected --irqchip kernel --rng \
    --memory 64M --timeout "$FLOOD_SECONDS" --stats
expect_status kick_flood_rng 124
kicks=$(awk '/ioeventfd doorbells/ { print $4 }' "$TMP/kick_flood_rng.err")
[ "${kicks:-0}" -gt 1000 ] || fail "kick_flood_rng: only ${kicks:-0} doorbells rang: no flood"
expect_bounded "kick_flood_rng ($kicks doorbells)"

tap=hostile0
run_image kick_flood_net kick_flood_net.bin --mode protected --irqchip kernel --net "tap=$tap" \
    --memory 64M --timeout "$FLOOD_SECONDS" --stats
expect_status kick_flood_net 124
kicks=$(awk '/ioeventfd doorbells/ { print $4 }' "$TMP/kick_flood_net.err")
[ "${kicks:-0}" -gt 1000 ] || fail "kick_flood_net: only ${kicks:-0} doorbells rang: no flood"
expect_bounded "kick_flood_net ($kicks doorbells, 65,550-byte frames)"

echo "ok: every hostile guest was survived, stopped and kept within $CEILING_KIB KiB"
