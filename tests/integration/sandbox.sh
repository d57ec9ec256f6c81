#!/usr/bin/env bash
# scripts/kvm-sandbox itself, always in its QEMU mode (even where this host
# has KVM, so the path CI depends on is tested everywhere): stdout and stderr
# come back separately, the exit status comes back, arguments keep their
# spaces and quotes, and /dev/kvm works inside.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
BERTH_SANDBOX=qemu "$root/scripts/kvm-sandbox" --timeout 900 -- \
    sh -c 'echo "out:$1"; echo "err:$2" >&2; test -c /dev/kvm && echo kvm-inside; exit 3' \
    sh "two words" "it's quoted" >"$tmp/out" 2>"$tmp/err" || status=$?

fail() { echo "FAIL: $*" >&2; echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; exit 1; }
[[ $status == 3 ]] || fail "exit status $status, expected 3"
grep -qx 'out:two words' "$tmp/out" || fail "stdout lacks 'out:two words'"
grep -qx 'kvm-inside' "$tmp/out" || fail "no /dev/kvm inside the sandbox"
grep -qx "err:it's quoted" "$tmp/err" || fail "stderr lacks \"err:it's quoted\""
if grep -q '^err:' "$tmp/out" || grep -q '^out:' "$tmp/err"; then
    fail "stdout and stderr are mixed"
fi
echo "ok: the QEMU sandbox passes output, errors, status and arguments through"
