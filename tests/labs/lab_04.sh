#!/bin/sh
# Lab 4 - long mode and paging: 64-bit code, and a page fault the guest
# handles itself by mapping the page.
. "$(dirname "$0")/lib.sh"

run_lab 04-long.bin --mode protected
expect_output "long mode: paging on
page fault at 0x0000000040000000, error code 0x0000000000000000
the guest mapped the page itself and read 0x0000000012345678"
expect_status 0 'exit port'
finish_checks "lab 4 (long mode and paging)"
