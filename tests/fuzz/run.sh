#!/usr/bin/env bash
# Build the fuzz targets (tests/fuzz/build.sh) and run each for a short time,
# starting from its committed seed corpus, tests/fuzz/corpus/NAME for target
# fuzz_NAME. New inputs go to a scratch copy, never into the repository; a
# crashing input is left in build-fuzz/ and named in the output.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (default: 10 s, all)
# Exit status: 0 when every target ran clean, 1 when one failed, 77 (the
# "skipped" status of meson and automake) when clang or libFuzzer is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
seconds=${1:-10}
shift || true

if ! command -v "${CXX:-clang++}" >/dev/null; then
	echo "tests/fuzz/run.sh: skipped, no clang++"
	exit 77
fi
if ! tests/fuzz/build.sh "$@"; then
	# Most often libFuzzer's runtime is missing: libclang-rt-14-dev.
	if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
		"${CXX:-clang++}" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
		echo "tests/fuzz/run.sh: skipped, clang++ cannot link libFuzzer (install libclang-rt-14-dev)"
		exit 77
	fi
	exit 1
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
	for source in tests/fuzz/fuzz_*.cpp; do
		targets+=("$(basename "$source" .cpp)")
	done
fi

status=0
for target in "${targets[@]}"; do
	corpus=tests/fuzz/corpus/${target#fuzz_}
	scratch=$(mktemp -d)
	if [[ -d $corpus ]]; then
		cp -r "$corpus/." "$scratch/"
	fi
	echo "==> $target for ${seconds}s"
	if ! build-fuzz/"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/"$target"- -print_final_stats=1 "$scratch" 2>build-fuzz/"$target".log; then
		tail -n 40 build-fuzz/"$target".log
		echo "$target: FAILED (log: build-fuzz/$target.log)"
		status=1
	else
		grep -E '^(stat::number_of_executed_units|Done)' build-fuzz/"$target".log || true
		echo "$target: ok"
	fi
	rm -rf "$scratch"
done
exit $status
