#!/usr/bin/env bash
# Build every libFuzzer target tests/fuzz/fuzz_*.cpp into build-fuzz/, with
# clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
#
# Each target names the project sources it needs on one line of its own:
#   // fuzz-sources: devices/virtio/queue/*.cpp vmm/memory/guest_memory.cpp
# (paths from the repository root; globs allowed).
#
# Usage: tests/fuzz/build.sh [TARGET...]   (default: all; TARGET is e.g.
# fuzz_descriptor_chain). CXX overrides the compiler (default clang++).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=build-fuzz
cxx=${CXX:-clang++}

if ! command -v "$cxx" >/dev/null; then
	echo "tests/fuzz/build.sh: $cxx not found (install clang and libclang-rt-14-dev)" >&2
	exit 2
fi

# shellcheck disable=SC2054 # the commas belong to -fsanitize=
flags=(-std=c++20 -g -O1 -Wall -Wextra -Werror -I.
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
# Device code formats its messages with fmt (libfmt-dev, as for the main build).
libs=(-lfmt)

targets=("$@")
if ((${#targets[@]} == 0)); then
	for source in tests/fuzz/fuzz_*.cpp; do
		targets+=("$(basename "$source" .cpp)")
	done
fi

mkdir -p "$out"
for target in "${targets[@]}"; do
	source=tests/fuzz/$target.cpp
	if [[ ! -f $source ]]; then
		echo "tests/fuzz/build.sh: no $source" >&2
		exit 2
	fi
	line=$(grep -m1 '^// fuzz-sources:' "$source" || true)
	if [[ -z $line ]]; then
		echo "tests/fuzz/build.sh: $source has no '// fuzz-sources:' line" >&2
		exit 2
	fi
	# Unquoted on purpose: the globs expand here.
	# shellcheck disable=SC2206
	sources=(${line#// fuzz-sources:})
	echo "==> $out/$target"
	"$cxx" "${flags[@]}" "$source" "${sources[@]}" "${libs[@]}" -o "$out/$target"
done
