#!/bin/sh
# Every way a guest can end ends Berth promptly with status 0 and a reason:
# ACPI poweroff, reboot (keyboard-controller reset), and a panic with panic=-1.
. "$(dirname "$0")/lib.sh"

run_guest_command poweroff 'poweroff -f'
expect_status poweroff 0
expect_stderr poweroff 'guest powered off (ACPI S5)'

run_guest_command reboot 'reboot -f'
expect_status reboot 0
expect_stderr reboot 'guest reset'

# sysrq "c" crashes the kernel on purpose; panic=-1 makes it reset at once.
run_guest_command panic 'echo c > /proc/sysrq-trigger'
expect_status panic 0
expect_stderr panic 'guest reset'
echo "ok: poweroff, reboot and panic all end Berth with status 0"
