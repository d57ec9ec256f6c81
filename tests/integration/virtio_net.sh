#!/bin/sh
# --net tap=NAME: Berth creates the tap, the host gives it an address, and
# Linux's virtio_net driver in the guest (configured by init from ip=)
# exchanges pings both ways and 10 MiB in each direction over TCP with the
# host; the bytes arrive intact both ways.
# The test runs in a network namespace of its own (busybox unshare): the tap,
# its address and the guest's peer exist only there, on any host.
if [ -z "${BERTH_NET_TEST_NETNS:-}" ]; then
    BERTH_NET_TEST_NETNS=1 exec busybox unshare --net "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

tap=berthtest0
host_ip=10.0.2.1
guest_ip=10.0.2.15
sum() { sha256sum | cut -d' ' -f1; }
# busybox's tools, the same on a host with hardware KVM as in the sandbox.
nc() { busybox nc "$@"; }
ip() { busybox ip "$@"; }
usleep() { busybox usleep "$@"; }
ping() { busybox ping "$@"; }
# /sys/class/net would show the namespace sysfs was mounted in: ask ip.
tap_exists() { ip link show "$tap" >/dev/null 2>&1; }
! tap_exists || fail "$tap exists already"

dd if=/dev/urandom of="$TMP/to_guest" bs=1k count=10240 2>/dev/null
to_guest_sum=$(sum <"$TMP/to_guest")

# In the guest: wait until the host answers pings, send 10 MiB to the host's
# port 5000, then receive 10 MiB on port 5001 and print their checksum.
guest="tries=0
until ping -c 1 -W 2 $host_ip >/dev/null 2>&1; do
    tries=\$((tries + 1))
    [ \$tries -lt 300 ] || { echo no-answer-to-pings; exit 3; }
done
echo pings-answered-after-tries=\$tries
ping -c 3 $host_ip | grep -o '3 packets received'
dd if=/dev/urandom of=/tmp/x bs=1k count=10240 2>/dev/null
echo sent=\$(sha256sum </tmp/x | cut -c1-64)
nc $host_ip 5000 </tmp/x || echo send-failed
echo received=\$(nc -l -p 5001 | sha256sum | cut -c1-64)"
script=$(make_script_disk net "$guest")

# --stats: should a transfer stall, Berth's exit statistics (doorbells,
# interrupts) on net.err say which side stopped.
"$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" --net "tap=$tap" --stats \
    --disk "$script,ro" --cmdline "$GUEST_CMDLINE ip=$guest_ip::$host_ip:255.255.255.0::eth0:off -- sh /dev/vda" \
    </dev/null >"$TMP/net.out" 2>"$TMP/net.err" &
berth_pid=$!

# Berth creates the tap (and brings it up) before the guest starts.
wait_for_tap() {
    waited=0
    until tap_exists; do
        kill -0 "$berth_pid" 2>/dev/null || return 1
        [ "$waited" -lt 600 ] || return 1
        usleep 100000
        waited=$((waited + 1))
    done
}
wait_for_tap || fail "net: Berth did not create $tap"
# Listening before the address exists: the guest sends as soon as pings pass.
# busybox nc ends when its stdin does, and a background job's stdin is
# /dev/null: give it a fifo that stays open (fd 4) until the transfer is done.
mkfifo "$TMP/hold"
nc -l -p 5000 <"$TMP/hold" >"$TMP/from_guest" &
listener=$!
exec 4>"$TMP/hold"
ip addr add "$host_ip/24" dev "$tap" || fail "net: could not address $tap"
ip link set "$tap" up
ip link set lo up

# Receive the guest's 10 MiB; then send ours once its listener is up. Every
# wait ends when Berth does: a transfer that stalls fails the test with
# Berth's output instead of hanging until the sandbox's timeout.
wait_for "$TMP/net.out" 'sent=' "$BOOT_TIMEOUT" "$berth_pid" || fail "net: the guest never sent"
while still_running "$listener"; do
    still_running "$berth_pid" ||
        fail "net: Berth stopped with the host's listener still waiting ($(wc -c <"$TMP/from_guest") of 10485760 bytes received)"
    usleep 200000
done
wait "$listener"
exec 4>&-
# The other way round: the host pings the guest.
ping -c 3 -W 10 "$guest_ip" >"$TMP/host-ping.out" 2>&1
grep -q '3 packets received' "$TMP/host-ping.out" || fail "net: the guest did not answer the host's pings: $(cat "$TMP/host-ping.out")"
tries=0
# busybox timeout: a send that stalls gives up (and is retried) while
# Berth still runs.
until busybox timeout 300 busybox nc "$guest_ip" 5001 <"$TMP/to_guest" 2>/dev/null; do
    still_running "$berth_pid" || fail "net: Berth stopped before the guest received the host's 10 MiB"
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || fail "net: could not connect to the guest"
    sleep 1
done

STATUS=0
wait "$berth_pid" || STATUS=$?
expect_status net 0
expect_output net '3 packets received'
expect_output net "received=$to_guest_sum"
sent=$(sed -n 's/.*sent=\([0-9a-f]\{64\}\).*/\1/p' "$TMP/net.out" | head -n 1)
[ -n "$sent" ] || fail "net: the guest did not print what it sent"
[ "$(sum <"$TMP/from_guest")" = "$sent" ] || fail "net: the host received $(wc -c <"$TMP/from_guest") bytes, not the 10485760 the guest sent (or different ones)"
! tap_exists || fail "net: the tap Berth created outlived it"
echo "ok: pings both ways and 10 MiB each way between host and guest over virtio-net"
