#!/bin/sh
# --cpus N gives the guest N online CPUs (described to it by the ACPI MADT).
. "$(dirname "$0")/lib.sh"

for cpus in 1 4; do
    run_guest_command "cpus$cpus" 'echo online-cpus=$(nproc)' --cpus "$cpus"
    expect_status "cpus$cpus" 0
    expect_output "cpus$cpus" "online-cpus=$cpus"
done
echo "ok: 1 and 4 vCPUs online"
