#!/bin/sh
# The exit observatory on a real boot: the default guest runs a command and
# powers off under --stats --stats-json FILE --trace-exits=io,port=0x3f8-0x3ff.
# Then the trace shows UART port I/O attributed to uart-16550 and nothing the
# filter excludes, as many lines as the statistics say were shown; the
# statistics come after Berth's stop line with a positive total; and the JSON
# validates against docs/exit-stats.schema.json and agrees with itself.
#
# Run on the host (meson runs it so): it starts scripts/kvm-sandbox itself
# with --out, so that the files come back here, where python3-jsonschema
# is (the sandbox carries no Python). Inside, the script is called again
# with --inside to boot the guest.
. "$(dirname "$0")/lib.sh"

FILTER=io,port=0x3f8-0x3ff

if [ "${1:-}" = --inside ]; then
    out=$2
    uname -r >"$out/host-kernel"
    run_guest_command obs 'echo observatory-says-$((6*7))' \
        --stats --stats-json "$out/stats.json" --trace-exits="$FILTER"
    cp "$TMP/obs.out" "$TMP/obs.err" "$out/"
    echo "$STATUS" >"$out/status"
    exit 0
fi

/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
    fail "python3-jsonschema is not installed here (scripts/setup installs it)"

out=$TMP/out
STATUS=0
"$ROOT/scripts/kvm-sandbox" --cpus 2 --out "$out" -- "$0" --inside "$out" \
    >"$TMP/sandbox.out" 2>"$TMP/sandbox.err" || STATUS=$?
expect_status sandbox 0
[ -f "$out/obs.err" ] || fail "the sandbox brought back no $out/obs.err"
cp "$out/obs.out" "$TMP/obs.out"
cp "$out/obs.err" "$TMP/obs.err"
STATUS=$(cat "$out/status")
expect_status obs 0
expect_output obs 'observatory-says-42'
expect_stderr obs 'guest powered off'

# --- The trace ------------------------------------------------------------------
trace_line='^\[ *[0-9]*\.[0-9]\{6\}\] vcpu[0-9]* '
grep "$trace_line" "$TMP/obs.err" >"$TMP/trace.lines" || fail "no trace lines on stderr"
grep -q "${trace_line}io out port=0x3f8 size=1 data=0x[0-9a-f][0-9a-f] device=uart-16550\$" \
    "$TMP/trace.lines" || fail "no UART transmit (out to 0x3f8) in the trace"
grep -q "${trace_line}io in port=0x3fd size=1 data=0x[0-9a-f][0-9a-f] device=uart-16550\$" \
    "$TMP/trace.lines" || fail "no UART line-status read (in from 0x3fd) in the trace"
# The filter lets nothing else through.
if grep -v -e "${trace_line}io in port=0x3f[89a-f] " -e "${trace_line}io out port=0x3f[89a-f] " \
    "$TMP/trace.lines" >"$TMP/stray.lines"; then
    fail "lines the filter excludes: $(head -n 3 "$TMP/stray.lines")"
fi
shown=$(wc -l <"$TMP/trace.lines")

# --- The text statistics, after the stop line -------------------------------------
stop_at=$(grep -n 'berth: guest powered off' "$TMP/obs.err" | head -n 1 | cut -d: -f1)
stats_at=$(grep -n '^berth: exit statistics: ' "$TMP/obs.err" | head -n 1 | cut -d: -f1)
[ -n "$stats_at" ] || fail "--stats printed no statistics"
[ "$stats_at" -gt "$stop_at" ] || fail "the statistics come before the stop line"
total=$(sed -n 's/^berth: exit statistics: \([0-9]*\) exits to Berth in .*/\1/p' "$TMP/obs.err")
[ "${total:-0}" -gt 0 ] || fail "the statistics count no exits"
grep -q '^berth:   io  *[1-9][0-9]* ' "$TMP/obs.err" || fail "no I/O exits in the statistics"
grep -q '^berth:     0x3f[89a-f]  *[1-9][0-9]*  uart-16550$' "$TMP/obs.err" ||
    fail "no UART port among the hottest I/O ports"
grep -q '^berth:   trace: [0-9]* lines shown' "$TMP/obs.err" || fail "the statistics lack the trace summary"

# --- The JSON ---------------------------------------------------------------------
json=$out/stats.json
[ -s "$json" ] || fail "--stats-json wrote no $json"
/usr/bin/python3 - "$ROOT/docs/exit-stats.schema.json" "$json" "$total" "$shown" \
    "$(cat "$out/host-kernel")" >"$TMP/check.out" 2>&1 <<'EOF' || fail "the JSON: $(tail -n 5 "$TMP/check.out")"
import json, sys, jsonschema
schema_path, path, total_text, shown, kernel = sys.argv[1:]
doc = json.load(open(path))
jsonschema.Draft202012Validator(json.load(open(schema_path))).validate(doc)
total = doc["total"]
assert total["exits"] == int(total_text), f"JSON total {total['exits']} != text total {total_text}"
assert total["exits"] > 0 and total["by_reason"]["io"]["exits"] > 0, "no I/O exits"
assert sum(v["exits"] for v in doc["vcpus"]) == total["exits"], "vCPUs do not add up to the total"
assert sum(r["exits"] for r in total["by_reason"].values()) == total["exits"], "reasons do not add up"
uart = [p for p in total["io_ports"] if 0x3f8 <= p["port"] <= 0x3ff]
assert uart and all(p["device"] == "uart-16550" for p in uart), f"UART ports: {uart}"
assert total["kvm_run_ns"] > 0 and total["user_space_ns"] > 0, "no times"
assert doc["trace"]["lines_shown"] == int(shown), \
    f"trace: {doc['trace']['lines_shown']} lines said shown, {shown} on stderr"
major, minor = (int(x) for x in kernel.split(".")[:2])
kvm = doc["kvm_stats"]
if (major, minor) >= (5, 14):
    assert kvm["available"], f"KVM binary stats not available on Linux {kernel}: {kvm.get('reason')}"
    names = {s["name"]: s["values"] for s in kvm["vcpu_total"]}
    assert names["exits"][0] > 0, "KVM counted no exits"
    print(f"KVM saw {names['exits'][0]} exits, {total['exits']} came out to Berth")
print(f"{total['exits']} exits, by reason {({k: v['exits'] for k, v in total['by_reason'].items()})}")
EOF
cat "$TMP/check.out"
echo "ok: $shown trace lines, the UART's I/O attributed to uart-16550, $total exits counted, the JSON valid"
