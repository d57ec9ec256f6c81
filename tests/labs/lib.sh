# Shared helpers for the lab checks (tests/labs/lab_NN.sh). POSIX sh: they
# also run under busybox sh inside scripts/kvm-sandbox.
#
# Each check boots one lab guest with `berth run --image` and compares what
# the guest printed with the output its handout (docs/labs/) promises.
# LAB_BUILD (default build/guest/labs) is where the lab images are:
# scripts/lab-check points it at a student's own build.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$ROOT/build/berth}
LAB_BUILD=${LAB_BUILD:-$ROOT/build/guest/labs}
# Generous: under the nested sandbox everything runs many times slower.
LAB_TIMEOUT=600

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
checks_failed=0

# run_lab IMAGE_NAME [berth run options...]: runs build/guest/labs/IMAGE_NAME
# with stdout in $TMP/out, stderr in $TMP/err and the status in $STATUS.
run_lab() {
    image=$LAB_BUILD/$1
    shift
    if [ ! -f "$image" ]; then
        echo "FAIL: $image is missing: build it with ninja -C build (or ./scripts/lab-check)" >&2
        exit 1
    fi
    STATUS=0
    "$BERTH" run --image "$image" --timeout "$LAB_TIMEOUT" "$@" \
        </dev/null >"$TMP/out" 2>"$TMP/err" || STATUS=$?
}

pass() { echo "PASS: $*"; }
check_failed() {
    echo "FAIL: $*"
    checks_failed=$((checks_failed + 1))
}

# expect_output EXPECTED_TEXT: the guest's output is exactly these lines.
expect_output() {
    printf '%s\n' "$1" >"$TMP/expected"
    if cmp -s "$TMP/expected" "$TMP/out"; then
        pass "the guest printed what the handout expects"
    else
        check_failed "the guest's output differs from the handout's"
        echo "----- expected" && cat "$TMP/expected"
        echo "----- got (stdout)" && cat "$TMP/out"
        echo "----- Berth's stderr (last 20 lines)" && tail -n 20 "$TMP/err"
    fi
}

expect_status() {  # STATUS STOP_REASON_TEXT
    if [ "$STATUS" -eq "$1" ] && grep -q -- "$2" "$TMP/err"; then
        pass "Berth stopped with status $1: $2"
    else
        check_failed "Berth should stop with status $1 and '$2'; got status $STATUS:"
        tail -n 5 "$TMP/err"
    fi
}

finish_checks() {  # LAB_NAME
    if [ "$checks_failed" -eq 0 ]; then
        echo "ok: $1"
    else
        echo "$1: $checks_failed check(s) failed"
        exit 1
    fi
}
