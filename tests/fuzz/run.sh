#!/usr/bin/env bash
# Build the fuzz targets (tests/fuzz/build.sh) and run each for a short time,
# starting from its committed seed corpus, tests/fuzz/corpus/NAME for target
# fuzz_NAME. New inputs go to a scratch copy, never into the repository; a
# crashing input is left in build-fuzz/ and named in the output. Ends with a
# table of how many inputs each target executed (libFuzzer's
# stat::number_of_executed_units), for quoting in docs.
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
summary=()
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
		result=FAILED
		status=1
	else
		grep -E '^(stat::number_of_executed_units|Done)' build-fuzz/"$target".log || true
		echo "$target: ok"
		result=ok
	fi
	executed=$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/"$target".log | tail -n 1)
	summary+=("$(printf '%-24s %12s  %s' "$target" "${executed:-?}" "$result")")
	rm -rf "$scratch"
done
echo "==> inputs executed in ${seconds}s per target"
printf '%s\n' "${summary[@]}"
exit $status
