#!/bin/sh
# --seccomp: every thread of a running VM is held to its system-call
# allow-list (vmm/seccomp, docs/seccomp.md).
#  1. The test-only hook BERTH_TEST_SECCOMP_VIOLATION=KIND makes a thread of
#     that kind run /bin/sh with execve right after its filter is in place.
#     Under the default (--seccomp on), for every kind of thread, Berth stops
#     with its one-line report and status 159, and the program never ran.
#  2. With --seccomp off the same hook does run the program (it prints a
#     marker and the process ends with 0), so (1) can fail; with --seccomp
#     log the kernel lets the call through as well.
#  3. Linux boots and works under the default filter with every device at
#     once: two vCPUs, a writable disk, virtio-net, virtio-rng and
#     virtio-console, with the timeline, statistics and boot trace written
#     at the end.
# Runs in a network namespace of its own, like virtio_net.sh, for the tap.
if [ -z "${BERTH_NET_TEST_NETNS:-}" ]; then
    BERTH_NET_TEST_NETNS=1 exec busybox unshare --net "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

marker=berth-seccomp-test-hook-ran
: >"$TMP/disk.img"
truncate -s 4M "$TMP/disk.img"

# hook NAME KIND [berth run options...]: Berth with the hook in a KIND thread.
hook() {
    name=$1
    kind=$2
    shift 2
    STATUS=0
    BERTH_TEST_SECCOMP_VIOLATION=$kind "$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" \
        --timeout "$BOOT_TIMEOUT" --cmdline "$GUEST_CMDLINE -- true" "$@" \
        </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || STATUS=$?
}

# What each kind needs to exist: a disk has a device I/O thread, --gdb a server.
options_for() {
    case $1 in
    device-io) echo --disk "$TMP/disk.img" ;;
    gdb-server) echo --gdb 127.0.0.1:0 ;;
    esac
}

# 1. Stopped, with the report, under the default filter.
for kind in vcpu event-loop device-io console-input gdb-server main; do
    case $kind in
    vcpu) words='a vCPU' ;;
    event-loop) words='an event loop' ;;
    device-io) words='a device I/O' ;;
    console-input) words='a console input' ;;
    gdb-server) words='a gdb server' ;;
    main) words='a main' ;;
    esac
    # shellcheck disable=SC2046 # the options split on purpose ($TMP has no blanks)
    hook "on-$kind" "$kind" $(options_for "$kind")
    expect_status "on-$kind" 159
    expect_stderr "on-$kind" "berth: seccomp: $words thread made a forbidden system call 59 (execve); this is a bug in Berth or an attack"
    ! grep -q "$marker" "$TMP/on-$kind.out" || fail "on-$kind: the forbidden program ran"
    echo "ok: a $kind thread's execve is stopped: $(grep 'berth: seccomp' "$TMP/on-$kind.err")"
done

# 2. The hook is real: without the filter the program runs (and replaces
# Berth, so there is no stop line); with --seccomp log it runs too.
for kind in vcpu event-loop device-io console-input gdb-server main; do
    # shellcheck disable=SC2046
    hook "off-$kind" "$kind" --seccomp off $(options_for "$kind")
    expect_status "off-$kind" 0
    expect_output "off-$kind" "$marker"
    ! grep -q 'berth: seccomp' "$TMP/off-$kind.err" || fail "off-$kind: a seccomp report without a filter"
done
echo "ok: with --seccomp off the hook runs its program in every kind of thread"
hook log-vcpu vcpu --seccomp log
expect_status log-vcpu 0
expect_output log-vcpu "$marker"
echo "ok: with --seccomp log the kernel lets the vCPU thread's execve through"

# 3. A boot with every device under the default filter.
tap=berthsc0
host_ip=10.0.2.1
guest_ip=10.0.2.15
ip() { busybox ip "$@"; }
head -c 1048576 /dev/urandom >"$TMP/payload"
payload_sum=$(sha256sum <"$TMP/payload" | cut -d' ' -f1)
dd if="$TMP/payload" of="$TMP/disk.img" conv=notrunc 2>/dev/null
# vda: the disk (the guest checks the host's bytes, then writes its own);
# vdb: this script; hvc0 the console; eth0 on the tap; /dev/hwrng.
guest="echo read=\$(head -c 1048576 /dev/vda | sha256sum | cut -c1-64)
head -c 1048576 /dev/urandom >/tmp/x
echo wrote=\$(sha256sum </tmp/x | cut -c1-64)
dd if=/tmp/x of=/dev/vda bs=65536 seek=16 conv=fsync 2>/dev/null
echo rng=\$(head -c 32 /dev/hwrng | wc -c)
grep -o 'hvc0' /proc/consoles | head -n 1 | sed 's/^/console=/'
tries=0
until ping -c 1 -W 2 $host_ip >/dev/null 2>&1; do
    tries=\$((tries + 1))
    [ \$tries -lt 300 ] || break
done
ping -c 2 $host_ip | grep -o '2 packets received'
echo all-devices-done"
script=$(make_script_disk all "$guest")
"$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --timeout "$BOOT_TIMEOUT" --cpus 2 \
    --disk "$TMP/disk.img" --disk "$script,ro" --net "tap=$tap" --rng --console virtio \
    --timings --stats --trace-boot "$TMP/boot.json" \
    --cmdline "console=hvc0 quiet panic=-1 reboot=k ip=$guest_ip::$host_ip:255.255.255.0::eth0:off -- sh /dev/vdb" \
    </dev/null >"$TMP/all.out" 2>"$TMP/all.err" &
berth_pid=$!
waited=0
until ip link show "$tap" >/dev/null 2>&1; do
    still_running "$berth_pid" || fail "all: Berth ended before it created $tap"
    [ "$waited" -lt 6000 ] || fail "all: Berth did not create $tap"
    busybox usleep 100000
    waited=$((waited + 1))
done
ip addr add "$host_ip/24" dev "$tap" || fail "all: could not address $tap"
ip link set "$tap" up
STATUS=0
wait "$berth_pid" || STATUS=$?
berth_pid=
expect_status all 0
! grep -q 'seccomp' "$TMP/all.err" || fail "all: $(grep seccomp "$TMP/all.err")"
expect_stderr all 'guest powered off'
expect_output all "read=$payload_sum"
expect_output all 'rng=32'
expect_output all 'console=hvc0'
expect_output all '2 packets received'
expect_output all 'all-devices-done'
wrote=$(sed -n 's/.*wrote=\([0-9a-f]\{64\}\).*/\1/p' "$TMP/all.out" | head -n 1)
[ -n "$wrote" ] || fail "all: the guest did not say what it wrote"
[ "$(dd if="$TMP/disk.img" bs=65536 skip=16 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$wrote" ] ||
    fail "all: the guest's write is not in the image"
expect_stderr all 'vm-stopped'          # --timings
expect_stderr all 'exit statistics:'  # --stats
grep -q '"traceEvents"' "$TMP/boot.json" || fail "all: no boot trace"
echo "ok: Linux with two vCPUs, virtio-blk, -net, -rng and -console works under the default filter"
