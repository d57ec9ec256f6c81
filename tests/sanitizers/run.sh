#!/usr/bin/env bash
# The sanitizer pass: Berth and its unit tests built with AddressSanitizer
# and UndefinedBehaviorSanitizer in a second build directory (build-asan/),
# every unit test run there, then one boot of the default guest with every
# virtio device under the sanitized binary (through scripts/kvm-sandbox
# where /dev/kvm is not usable). Any report from a sanitizer fails the run:
# halt_on_error for UBSan, and ASan stops at its first error anyway.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
dir=build-asan

if [[ ! -f $dir/meson-private/coredata.dat ]]; then
	echo "==> configuring $dir (ASan + UBSan)"
	# b_lundef=false: the sanitizer runtimes resolve some symbols at run time.
	# buildtype debug (-O0): on CI's two cores an optimised ASan build of
	# the unit tests alone took over 20 minutes; unoptimised compiles much
	# faster and finds the same errors.
	meson setup "$dir" --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
echo "==> building $dir"
ninja -C "$dir" --quiet berth tests/unit/berth-unit-tests

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "==> unit tests under ASan + UBSan"
"$dir"/tests/unit/berth-unit-tests --gtest_brief=1

echo "==> one boot under the sanitized berth"
BERTH=$root/$dir/berth BERTH_SANDBOX_ENV="BERTH ASAN_OPTIONS UBSAN_OPTIONS" \
	BERTH_SANDBOX_BINARIES=$root/$dir/berth \
	scripts/kvm-sandbox --timeout 1800 -- tests/sanitizers/boot.sh
