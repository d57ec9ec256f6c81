#!/bin/sh
# Boot-to-init race, run where /dev/kvm works (scripts/bench-boot starts it,
# through scripts/kvm-sandbox when needed). POSIX sh: it runs under busybox.
#
#   boot-race.sh ROUNDS
#
# Each round boots the default guest once with every system, in the same
# order, so drift hits all alike. The guest's /init writes the boot marker
# and powers off at once ("-- poweroff -f"), so "start to exit" is boot to
# init plus a power-off of a few milliseconds, measured the same way for
# every system from /proc/uptime (10 ms resolution: these boots take
# seconds). Berth's own timeline adds the exact time its guest reached init.
# Prints one CSV line per run: system,round,seconds[,berth_init_seconds];
# a boot that fails or takes longer than 10 minutes is reported as
# system,round,failed and the race goes on.
set -eu

rounds=${1:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
kernel=$root/build/guest/vmlinuz
initrd=$root/build/guest/initrd.img
cmdline="console=ttyS0 quiet panic=-1 reboot=k -- poweroff -f"
qemu=$(command -v qemu-system-x86_64 || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

uptime_cs() {  # centiseconds since boot
    read -r up _ </proc/uptime
    echo "${up%.*}${up#*.}"
}

# run SYSTEM ROUND COMMAND...: times one boot; fails loudly if it did not
# reach the guest's init (no power-off).
run() {
    system=$1
    round=$2
    shift 2
    start=$(uptime_cs)
    timeout 600 "$@" </dev/null >"$tmp/out" 2>"$tmp/err" || {
        echo "boot-race: $system failed in round $round" >&2
        tail -n 20 "$tmp/out" "$tmp/err" >&2
        echo "$system,$round,failed"
        return 0
    }
    end=$(uptime_cs)
    seconds=$(awk -v d=$((end - start)) 'BEGIN { printf "%.2f", d / 100 }')
    extra=""
    if [ "$system" = berth ]; then
        us=$(awk '/ us  guest-init-reached$/ { print $2 }' "$tmp/err")
        [ -n "$us" ] || { echo "boot-race: berth did not reach init" >&2; echo "$system,$round,failed"; return 0; }
        extra=,$(awk -v us="$us" 'BEGIN { printf "%.3f", us / 1e6 }')
    fi
    echo "$system,$round,$seconds$extra"
}

qemu_common="-accel kvm -cpu host -m 512 -smp 1 -display none -no-reboot -nodefaults -serial stdio
    -L /usr/share/seabios -L /usr/share/qemu -kernel $kernel -initrd $initrd"

echo "system,round,seconds,berth_init_seconds"
round=0
while [ "$round" -le "$rounds" ]; do
    # Round 0 warms the page cache and is not reported.
    for system in berth qemu-pc qemu-microvm; do
        case $system in
        berth)
            line=$(run berth "$round" "$root/build/berth" run --kernel "$kernel" --initrd "$initrd" \
                --memory 512M --timings --cmdline "$cmdline") ;;
        qemu-pc)
            [ -n "$qemu" ] || continue
            # shellcheck disable=SC2086 # word splitting of the option list is intended
            line=$(run qemu-pc "$round" "$qemu" -M pc $qemu_common -append "$cmdline") ;;
        qemu-microvm)
            [ -n "$qemu" ] || continue
            # rtc=on: without an RTC this kernel stalls for seconds probing one.
            # shellcheck disable=SC2086
            line=$(run qemu-microvm "$round" "$qemu" -M microvm,rtc=on $qemu_common -append "$cmdline") ;;
        esac
        [ "$round" -eq 0 ] || echo "$line"
    done
    round=$((round + 1))
done
