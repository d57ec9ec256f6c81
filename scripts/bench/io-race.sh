#!/bin/sh
# Disk and network throughput of Berth against QEMU, run where /dev/kvm
# works (scripts/bench-io starts it, through scripts/kvm-sandbox when
# needed). POSIX sh: it runs under busybox; needs root (it makes a tap).
#
#   io-race.sh ROUNDS
#
# Each round boots the default guest once with each system, alternating
# which goes first, so drift hits both alike; round 0 warms up and is not
# reported. Both get the same kernel, initramfs, command line, 512 MiB and
# one vCPU, the same two virtio-blk disks (vda: 256 MiB of random bytes,
# vdb: the guest's script, both read-only raw images on the host's tmpfs,
# opened without O_DIRECT by both) and a virtio-net interface on the same
# persistent tap. QEMU's tap runs with vhost=off: the sandbox kernel has no
# vhost-net, and Berth has nothing like it either. The guest measures, in
# this order, with berth-randread (guest/tools/randread.c):
#   seq_read_mib_s   the whole of vda in 1 MiB O_DIRECT reads
#   rand_read_iops   4 KiB O_DIRECT reads at random offsets, queue depth 1,
#                    for RAND_SECONDS
#   tcp_tx_mib_s     TX_MIB MiB of zeros sent over TCP by the guest's nc
#                    to a busybox nc on the host, timed by the host-side
#                    receiver (berth-randread --stream) from its first byte
#                    to the end of the stream
#   tcp_rx_mib_s     the first RX_MIB MiB of the data image sent by the
#                    host's nc to the guest's nc, timed in the guest the
#                    same way
# The sizes are small because TCP is slow in the nested sandbox (well
# under 1 MiB/s from the guest, a few MiB/s to it, for both systems);
# each boot still takes minutes there.
# Prints CSV on stdout: system,round,metric,value (value "failed" when a
# boot failed, hung or printed no result: the race goes on).
set -eu

rounds=${1:-3}
RAND_SECONDS=10
TX_MIB=8
RX_MIB=64
DATA_MIB=256
root=$(cd "$(dirname "$0")/../.." && pwd)
kernel=$root/build/guest/vmlinuz
initrd=$root/build/guest/initrd.img
tool=$root/build/guest/tools/berth-randread
qemu=$(command -v qemu-system-x86_64 || true)
tap=berthbench0
host_ip=10.0.2.1
guest_ip=10.0.2.15
mac=52:54:00:12:34:56
# Busybox's tools, the same on a host with hardware KVM as in the sandbox
# (a host's own nc or ip may differ).
bb() { busybox "$@"; }

for f in "$root/build/berth" "$kernel" "$initrd" "$tool"; do
    [ -e "$f" ] || { echo "io-race: missing $f (run guest/build-guest)" >&2; exit 1; }
done
[ -n "$qemu" ] || { echo "io-race: qemu-system-x86_64 not found" >&2; exit 1; }
[ ! -e "/sys/class/net/$tap" ] || { echo "io-race: $tap exists already" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
    bb tunctl -d "$tap" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Inputs shared by every boot --------------------------------------------
echo "io-race: writing a ${DATA_MIB} MiB data image of random bytes" >&2
data=$tmp/data.img
head -c $((DATA_MIB << 20)) /dev/urandom >"$data"

# The guest's part, on a disk of its own (vdb): the kernel passes at most 32
# words to init. Padded to whole sectors with newlines, which sh skips.
script=$tmp/guest.sh
cat >"$script" <<EOF
say() { echo "io-bench: \$*"; }
[ "\$(cat /sys/block/vda/size)" = $((DATA_MIB << 11)) ] || { say "vda is not the data disk"; exit 3; }
berth-randread --sequential /dev/vda || exit 4
berth-randread --seconds $RAND_SECONDS /dev/vda || exit 4
tries=0
until ping -c 1 -W 2 $host_ip >/dev/null 2>&1; do
    tries=\$((tries + 1))
    [ \$tries -lt 100 ] || { say "no answer from $host_ip"; ip addr show eth0; cat /proc/net/dev; exit 5; }
done
say tx-start
head -c $((TX_MIB << 20)) /dev/zero | nc $host_ip 5000 || say tx-failed
say rx-listen
echo "rx \$(nc -l -p 5001 | berth-randread --stream)"
EOF
size=$(wc -c <"$script")
head -c $(((512 - size % 512) % 512)) /dev/zero | tr '\0' '\n' >>"$script"

# One persistent tap for both systems, addressed before any guest starts:
# neither VMM creates or removes it, and the guest's first pings can pass.
bb tunctl -t "$tap" >/dev/null
bb ip addr add "$host_ip/24" dev "$tap"
bb ip link set "$tap" up
mkfifo "$tmp/hold"

cmdline="console=ttyS0 quiet panic=-1 reboot=k ip=$guest_ip::$host_ip:255.255.255.0::eth0:off -- sh /dev/vdb"

# start SYSTEM: boots the guest; its console in $tmp/out, messages in $tmp/err.
start() {
    case $1 in
    berth)
        timeout 1200 "$root/build/berth" run --kernel "$kernel" --initrd "$initrd" \
            --memory 512M --cpus 1 --cmdline "$cmdline" \
            --disk "$data,ro" --disk "$script,ro" --net "tap=$tap,mac=$mac" ;;
    qemu)
        # -device order is PCI slot order: the data disk is vda, as for
        # Berth. romfile=: no PXE option ROM, which Berth has no use for
        # either (the kernel is loaded directly).
        timeout 1200 "$qemu" -M pc -accel kvm -cpu host -m 512 -smp 1 \
            -display none -no-reboot -nodefaults -serial stdio \
            -L /usr/share/seabios -L /usr/share/qemu \
            -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
            -drive "file=$data,if=none,id=data,format=raw,readonly=on" -device virtio-blk-pci,drive=data \
            -drive "file=$script,if=none,id=script,format=raw,readonly=on" -device virtio-blk-pci,drive=script \
            -netdev "tap,id=net0,ifname=$tap,script=no,downscript=no,vhost=off" \
            -device "virtio-net-pci,netdev=net0,mac=$mac,romfile=" ;;
    esac </dev/null >"$tmp/out" 2>"$tmp/err"
}

# wait_marker PID FILE PATTERN: until FILE has PATTERN; fails when the
# process PID ends first or after 15 minutes.
wait_marker() {
    waited=0
    until grep -q -- "$3" "$2" 2>/dev/null; do
        kill -0 "$1" 2>/dev/null || return 1
        [ "$waited" -lt 9000 ] || return 1
        bb usleep 100000
        waited=$((waited + 1))
    done
}

# value FILE PREFIX KEY: KEY's value on the first line of FILE that starts
# with PREFIX (ignoring a carriage return the serial console may add).
value() {
    tr -d '\r' <"$1" | sed -n "s/^$2.* $3=\([0-9.]*\).*/\1/p" | head -n 1
}

# run SYSTEM ROUND: one boot; prints the CSV lines of its four metrics.
run() {
    system=$1 round=$2
    rm -f "$tmp/out" "$tmp/err" "$tmp/tx"
    # The host's receiver, listening before the guest boots. busybox nc
    # ends when its stdin does, and a background job's stdin is /dev/null:
    # it reads a fifo that fd 4 holds open.
    bb nc -l -p 5000 <"$tmp/hold" | "$tool" --stream >"$tmp/tx" &
    receiver=$!
    exec 4>"$tmp/hold"
    start "$system" &
    vmm=$!
    # The guest listens for the host's stream once its own is sent.
    if wait_marker "$vmm" "$tmp/out" 'io-bench: rx-listen'; then
        tries=0
        until head -c $((RX_MIB << 20)) "$data" | bb nc "$guest_ip" 5001 >/dev/null 2>&1; do
            tries=$((tries + 1))
            [ "$tries" -lt 600 ] || break
            bb usleep 100000
        done
    fi
    status=0
    wait "$vmm" || status=$?
    # A receiver no guest connected to is still listening: a connection
    # that sends nothing ends it (and is refused when it has ended).
    bb nc 127.0.0.1 5000 </dev/null >/dev/null 2>&1 || true
    exec 4>&-
    wait "$receiver" || true
    # The VMM exits 0 when its guest powers off, whatever the guest's script
    # did: look for the script's own status too, and keep what the failing
    # boot printed (a metric it did print still counts).
    if [ "$status" != 0 ] || ! grep -q 'command exited with status 0' "$tmp/out"; then
        echo "io-race: $system failed (exit status $status) in round $round" >&2
        tail -n 30 "$tmp/out" "$tmp/err" >&2
        grep "$tap" /proc/net/dev >&2 || true
    fi
    for metric in seq_read_mib_s rand_read_iops tcp_tx_mib_s tcp_rx_mib_s; do
        case $metric in
        seq_read_mib_s) v=$(value "$tmp/out" sequential mib_per_s) ;;
        rand_read_iops) v=$(value "$tmp/out" random iops) ;;
        tcp_tx_mib_s)
            v=''
            # All the bytes, or no result.
            [ "$(value "$tmp/tx" stream bytes)" != $((TX_MIB << 20)) ] || v=$(value "$tmp/tx" stream mib_per_s) ;;
        tcp_rx_mib_s)
            v=''
            [ "$(value "$tmp/out" 'rx stream' bytes)" != $((RX_MIB << 20)) ] ||
                v=$(value "$tmp/out" 'rx stream' mib_per_s) ;;
        esac
        if [ -z "$v" ] || [ "$status" != 0 ]; then
            echo "io-race: $system gave no $metric in round $round" >&2
            v=failed
        fi
        echo "$system,$round,$metric,$v"
    done
}

echo "system,round,metric,value"
round=0
while [ "$round" -le "$rounds" ]; do
    # Alternate who goes first: a slow phase of the machine hits both.
    if [ $((round % 2)) -eq 0 ]; then order="berth qemu"; else order="qemu berth"; fi
    for system in $order; do
        echo "io-race: round $round, $system" >&2
        lines=$(run "$system" "$round")
        [ "$round" -eq 0 ] || echo "$lines"
    done
    round=$((round + 1))
done
