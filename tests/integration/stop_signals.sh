#!/bin/sh
# Berth stops cleanly from outside the guest: SIGTERM and SIGINT end it with
# 128+signal and a reason line, the console escape Ctrl-A x with status 0.
. "$(dirname "$0")/lib.sh"

start_shell sigterm
kill -TERM "$berth_pid"
finish
expect_status sigterm 143
expect_stderr sigterm 'stopped by signal SIGTERM'

start_shell sigint
kill -INT "$berth_pid"
finish
expect_status sigint 130
expect_stderr sigint 'stopped by signal SIGINT'

start_shell escape
printf '\001x' >&3
finish
expect_status escape 0
expect_stderr escape 'quit from the console (Ctrl-A x)'
echo "ok: SIGTERM, SIGINT and Ctrl-A x stop Berth cleanly"
