#!/bin/sh
# --console virtio: the guest's console is hvc0 (virtio-console port 0).
# What the guest writes to hvc0 reaches Berth's stdout, and what we type
# reaches the guest's shell on hvc0, through the virtqueues both ways.
. "$(dirname "$0")/lib.sh"

# Only hvc0 is a console here: the 8250 prints nothing unless written to.
HVC_CMDLINE="console=hvc0 quiet panic=-1 reboot=k"

run_berth hvc --console virtio --cmdline "$HVC_CMDLINE -- echo hvc-says-\$((6*7)) >/dev/hvc0; cat /proc/consoles"
expect_status hvc 0
expect_output hvc 'hvc-says-42'
expect_output hvc '^hvc0 .*-W-'
echo "ok: guest output through virtio-console"

start_shell typing "$HVC_CMDLINE" --console virtio
printf 'echo typed-$((3*5)) on $(tty)\r' >&3
wait_for "$TMP/typing.out" 'typed-15 on /dev/hvc0' 300 || fail "the shell on hvc0 did not answer typed input"
printf 'poweroff\r' >&3
finish
expect_status typing 0
expect_stderr typing 'guest powered off'
echo "ok: typed input reached the shell on hvc0 and its answer came back"
