#!/bin/sh
# Lab 1 - hello: the real-mode guest prints through port 0xe9 and halts.
. "$(dirname "$0")/lib.sh"

run_lab 01-hello.bin --mode real
expect_output "Hello from a guest!"
expect_status 0 'guest halted'
finish_checks "lab 1 (hello)"
