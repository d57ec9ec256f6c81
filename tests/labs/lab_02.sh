#!/bin/sh
# Lab 2 - a device of your own: the guest drives the calculator over MMIO.
. "$(dirname "$0")/lib.sh"

run_lab 02-device.bin --mode protected
expect_output "calculator found
6 * 7 = 42
100 / 7 = 14
100 % 7 = 2
1000000 + 234567 = 1234567
50 - 8 = 42
1 / 0: error 1
1 ? 1: error 2"
expect_status 0 'exit port'
finish_checks "lab 2 (a device of your own)"
