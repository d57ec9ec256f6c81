#!/bin/sh
# A write the guest saw flushed survives kill -9 of Berth right afterwards.
#
# Each round the guest writes numbered 4 KiB records to /dev/vda, one after
# another, each with dd conv=fsync (the guest kernel writes the record, then
# sends VIRTIO_BLK_T_FLUSH; fsync returns once both are done) and prints
# "flushed N ok" after each. The host waits for a random number of those
# lines (1 to 40, different each round) and kills Berth with SIGKILL at
# once. Then, in the image:
#   - every record the console reported flushed is there, byte for byte
#     (the guarantee: a completed flush covers every completed write);
#   - after those, records the guest may have written before the kill but
#     not yet reported are whole; the one record that may have been in
#     flight holds, sector by sector, either its new bytes or zeros; and
#     everything after it is zeros (no garbage, nothing written twice);
#   - the image is not locked, and the next round starts Berth on it again.
# Finally the guest boots once more on the last round's image and reads the
# records back through virtio-blk.
#
# Rounds: 3, or 20 with BERTH_LONG=1 (./scripts/test --long); BERTH_KILL9_ROUNDS
# sets any number.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/disk_lib.sh"

rounds=3
[ "${BERTH_LONG:-0}" != 1 ] || rounds=20
rounds=${BERTH_KILL9_ROUNDS:-$rounds}
RECORD=4096
IMAGE_MIB=8
MAX_RECORDS=2000 # the guest stops there; 8 MiB hold 2048

# The record format, the same code on the host and (in the script) in the
# guest: 64 lines of 64 bytes, each naming the round and the record, so that
# a record from another place, another round, or half of one never matches.
RECORD_FUNCTION='record() {
    l=$(printf "berth-kill9 round %04d record %06d abcdefghijklmnopqrstuvwxyz" "$1" "$2")
    l="$l
"
    s=$l$l
    s=$s$s
    s=$s$s
    s=$s$s
    s=$s$s
    s=$s$s
    printf "%s" "$s"
}'
eval "$RECORD_FUNCTION"
[ "$(record 1 1 | wc -c)" -eq "$RECORD" ] || fail "a record is $(record 1 1 | wc -c) bytes, not $RECORD"

head -c 512 /dev/zero >"$TMP/zero.sector"
disk_image=$TMP/data.img
head -c $((IMAGE_MIB * 1024 * 1024)) /dev/zero >"$disk_image"

# record_at K: record K of the image.
record_at() {
    dd if="$disk_image" bs=$RECORD skip="$1" count=1 2>/dev/null
}

# is_record ROUND K: record K of the image is exactly the guest's.
is_record() {
    record "$1" "$2" >"$TMP/want"
    record_at "$2" | cmp -s - "$TMP/want"
}

# in_flight_ok ROUND K: each sector of record K is either the guest's or zeros.
in_flight_ok() {
    record "$1" "$2" >"$TMP/want"
    record_at "$2" >"$TMP/got"
    sector=0
    while [ "$sector" -lt $((RECORD / 512)) ]; do
        dd if="$TMP/got" bs=512 skip="$sector" count=1 2>/dev/null >"$TMP/got.sector"
        dd if="$TMP/want" bs=512 skip="$sector" count=1 2>/dev/null >"$TMP/want.sector"
        cmp -s "$TMP/got.sector" "$TMP/want.sector" || cmp -s "$TMP/got.sector" "$TMP/zero.sector" ||
            return 1
        sector=$((sector + 1))
    done
}

random_below() {  # N: a random number in [0, N)
    echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

total_flushed=0 total_extra=0 torn_seen=0 round=1
while [ "$round" -le "$rounds" ]; do
    target=$(($(random_below 40) + 1))
    name=round$round
    # The same image every round: zeroed in place (same inode), so a lock or
    # anything else a killed Berth left on it would stop this round's start.
    dd if=/dev/zero of="$disk_image" bs=1M count="$IMAGE_MIB" conv=notrunc 2>/dev/null
    guest="$RECORD_FUNCTION
n=0
echo kill9-writing
while [ \$n -lt $MAX_RECORDS ]; do
    record $round \$n >/tmp/record
    dd if=/tmp/record of=/dev/vda bs=$RECORD seek=\$n count=1 conv=notrunc,fsync 2>/dev/null ||
        { echo \"write \$n failed\"; exit 1; }
    echo \"flushed \$n ok\"
    n=\$((n + 1))
done
echo kill9-all-written"
    start_guest_script "$name" "$guest" --disk "$disk_image"
    # "flushed N ok" counts from 0: the TARGET-th line is N = TARGET - 1.
    wait_marker "$name" "flushed $((target - 1)) ok"
    kill -KILL "$berth_pid"
    STATUS=0
    wait "$berth_pid" || STATUS=$?
    berth_pid=
    expect_status "$name" 137
    grep -q 'kill9-all-written' "$TMP/$name.out" && fail "$name: the guest finished before the kill"

    # Only whole lines count: the console may have been cut mid-line.
    last=$(sed -n 's/.*flushed \([0-9][0-9]*\) ok.*/\1/p' "$TMP/$name.out" | tail -n 1)
    [ -n "$last" ] && [ "$last" -ge $((target - 1)) ] || fail "$name: no 'flushed' line after the kill"
    k=0
    while [ "$k" -le "$last" ]; do
        is_record "$round" "$k" || fail "$name: record $k was reported flushed but the image does not hold it"
        k=$((k + 1))
    done
    # Written before the kill, not yet reported: whole records too.
    extra=0
    while [ "$k" -lt "$MAX_RECORDS" ] && is_record "$round" "$k"; do
        extra=$((extra + 1))
        k=$((k + 1))
    done
    # The record in flight at the kill (if any): old or new, sector by sector.
    in_flight_ok "$round" "$k" || fail "$name: record $k holds bytes that are neither the guest's nor zeros"
    torn=$(record_at "$k" | tr -d '\000' | wc -c)
    [ "$torn" -eq 0 ] || torn_seen=$((torn_seen + 1))
    # Nothing after it was touched.
    after=$(dd if="$disk_image" bs=$RECORD skip=$((k + 1)) 2>/dev/null | tr -d '\000' | wc -c)
    [ "$after" -eq 0 ] || fail "$name: $after non-zero bytes after record $k, which the guest never wrote"
    expect_unlocked "$disk_image"

    echo "round $round: killed after $target flushes seen; records 0..$last reported flushed and intact, $extra more whole, record $k $(
        [ "$torn" -eq 0 ] && echo untouched || echo 'partly written (sectors old or new)')"
    total_flushed=$((total_flushed + last + 1))
    total_extra=$((total_extra + extra))
    round=$((round + 1))
done
last_whole=$((k - 1))

# The next start on the killed image works and reads back what the host sees.
want=$(head -c $(((last_whole + 1) * RECORD)) "$disk_image" | sha)
run_guest_script readback \
    "echo readback=\$(dd if=/dev/vda bs=$RECORD count=$((last_whole + 1)) 2>/dev/null | sha256sum | cut -c1-64)" \
    --disk "$disk_image"
expect_status readback 0
expect_output readback "readback=$want"

echo "ok: $rounds rounds survived kill -9: $total_flushed records reported flushed, all intact; $total_extra more found whole; $torn_seen rounds with a partly written record; the image was never left locked, and Berth started again on it and read back records 0..$last_whole"
