# test_jcs.sh - system test of `rpvault jcs [--rfc8785] [FILE|-]`.
#
# Why: `rpvault jcs` exposes the canonicalizer that every hash depends on.
# The real binary must reproduce, byte for byte, every case measured with
# serde_jcs 0.1.0 and an RFC 8785 reference (shared/spec/jcs_cases.json),
# print exactly the canonical bytes (no trailing newline), and on any
# rejected input print an error on stderr, exit 1 and write NOTHING to
# stdout. Rejection texts are serde_json's ("... at line L column C").
# Security posture: test code; works only inside its temporary directory.
. "$(dirname "$0")/lib.sh"

D="$T/jcs"
mkdir -p "$D"

# --- every measured case, both modes, file and stdin ------------------
python3 - "$SHARED/spec/jcs_cases.json" "$D" <<'EOF'
import json, sys
cases = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2] + "/names", "w") as names:
    for c in cases:
        base = sys.argv[2] + "/" + c["case"]
        for suffix, key in ((".in", "input"), (".serde", "serde_jcs_0_1_0"), (".rfc", "rfc8785_reference")):
            with open(base + suffix, "wb") as f:
                f.write(c[key].encode("utf-8"))
        names.write(c["case"] + "\n")
EOF
[ -s "$D/names" ] || { RC=x; fail "extract jcs_cases.json" "python3 could not read $SHARED/spec/jcs_cases.json"; }

# same_out NAME EXPECTED_FILE: rc 0 and stdout byte-identical to the file
same_out() {
	if [ "$RC" != 0 ]; then fail "$1" "want rc=0"; return; fi
	if cmp -s "$T/.out" "$2"; then pass "$1"; else fail "$1" "stdout differs from $2"; fi
}

while read -r name; do
	run "$RPVAULT" jcs "$D/$name.in"
	same_out "jcs serde_jcs bytes: $name" "$D/$name.serde"
	run "$RPVAULT" jcs --rfc8785 "$D/$name.in"
	same_out "jcs --rfc8785 bytes: $name" "$D/$name.rfc"
	run "$RPVAULT" jcs - <"$D/$name.in"
	same_out "jcs - (stdin): $name" "$D/$name.serde"
	# idempotence: canonical bytes are their own canonical form
	run "$RPVAULT" jcs "$D/$name.serde"
	same_out "jcs idempotent: $name" "$D/$name.serde"
	run "$RPVAULT" jcs --rfc8785 "$D/$name.rfc"
	same_out "jcs --rfc8785 idempotent: $name" "$D/$name.rfc"
done <"$D/names"

# No FILE argument reads standard input too.
run "$RPVAULT" jcs <"$D/numbers.in"
same_out "jcs without FILE reads stdin" "$D/numbers.serde"

# Exactly the canonical bytes: no trailing newline.
printf '{"b":[1, 2],\n "a":"x"}\n' >"$D/nl.json"
printf '{"a":"x","b":[1,2]}' >"$D/nl.want"
run "$RPVAULT" jcs "$D/nl.json"
same_out "jcs prints no trailing newline" "$D/nl.want"

# Duplicate keys are not an error: last one wins, at every depth.
printf '{"a":1,"b":{"x":1,"x":[2]},"a":3}' >"$D/dup.json"
printf '{"a":3,"b":{"x":[2]}}' >"$D/dup.want"
run "$RPVAULT" jcs "$D/dup.json"
same_out "jcs duplicate keys last-wins" "$D/dup.want"

# Integers stay exact in serde mode; RFC 8785 mode goes through doubles.
printf '[18446744073709551615,9007199254740993,-9223372036854775808,1.0,-0,1e21,1e-7]' >"$D/ints.json"
printf '[18446744073709551615,9007199254740993,-9223372036854775808,1,0,1e+21,1e-7]' >"$D/ints.serde"
printf '[18446744073709552000,9007199254740992,-9223372036854776000,1,0,1e+21,1e-7]' >"$D/ints.rfc"
run "$RPVAULT" jcs "$D/ints.json"
same_out "jcs keeps u64/i64 exact" "$D/ints.serde"
run "$RPVAULT" jcs --rfc8785 "$D/ints.json"
same_out "jcs --rfc8785 rounds integers through doubles" "$D/ints.rfc"

# Nesting: serde_json accepts 127 levels and refuses the 128th.
python3 -c "import sys; sys.stdout.write('[' * 127 + ']' * 127)" >"$D/deep127.json"
run "$RPVAULT" jcs "$D/deep127.json"
same_out "jcs accepts 127 nested arrays" "$D/deep127.json"

# A large document (no quadratic behaviour, output exactly the compact form).
python3 -c "
import sys
sys.stdout.write('[' + ','.join(str(i) for i in range(200000)) + ']')" >"$D/big.want"
sed 's/,/, /g' "$D/big.want" >"$D/big.json"
run "$RPVAULT" jcs "$D/big.json"
same_out "jcs 200000-element array" "$D/big.want"

# --- rejections: rc 1, message on stderr, nothing on stdout ------------
# refuse NAME WANTED_STDERR_TEXT [jcs options...]: input already in $D/bad
refuse() {
	_name=$1 _want=$2
	shift 2
	run "$RPVAULT" jcs "$@" "$D/bad"
	if [ "$RC" != 1 ]; then fail "$_name" "want rc=1"; return; fi
	if [ -s "$T/.out" ]; then fail "$_name" "want nothing on stdout"; return; fi
	if ! grep -qF -- "$_want" "$T/.err"; then fail "$_name" "want stderr text: $_want"; return; fi
	pass "$_name"
}
# bad PRINTF_FORMAT: writes the input
bad() { printf "$1" >"$D/bad"; }

bad '{"a":}';                refuse "jcs rejects invalid JSON" "expected value at line 1 column 6"
bad '{"a":1,}';              refuse "jcs rejects a trailing comma" "trailing comma at line 1 column 8"
bad '[1] x';                 refuse "jcs rejects trailing garbage" "trailing characters at line 1 column 5"
bad '{}\n\n  }';             refuse "jcs names the line of trailing garbage" "trailing characters at line 3 column 3"
bad '\357\273\277{}';        refuse "jcs rejects a UTF-8 BOM" "expected value at line 1 column 1"
bad '';                      refuse "jcs rejects empty input" "EOF while parsing a value at line 1 column 0"
bad ' \n ';                  refuse "jcs rejects whitespace-only input" "EOF while parsing a value"
bad '"\\ud800"';             refuse "jcs rejects a lone high surrogate" "unexpected end of hex escape at line 1 column 8"
bad '"\\ud800\\u0041"';      refuse "jcs rejects a high surrogate + non-low" "lone leading surrogate in hex escape at line 1 column 13"
bad '"\\udc00"';             refuse "jcs rejects a lone low surrogate" "lone leading surrogate in hex escape at line 1 column 7"
bad '{"k":"\\udc00"}';       refuse "jcs --rfc8785 rejects a lone surrogate" "lone leading surrogate" --rfc8785
bad '"\355\240\200"';        refuse "jcs rejects a UTF-8 encoded surrogate" "invalid unicode code point"
bad '"\300\257"';            refuse "jcs rejects overlong UTF-8" "invalid unicode code point"
bad '"\364\220\200\200"';    refuse "jcs rejects UTF-8 above U+10FFFF" "invalid unicode code point"
bad '"a\001b"';              refuse "jcs rejects a raw control character" "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3"
bad '"\\x"';                 refuse "jcs rejects an invalid escape" "invalid escape at line 1 column 3"
bad '[01]';                  refuse "jcs rejects leading zeros" "invalid number at line 1 column 3"
bad '+1';                    refuse "jcs rejects a plus sign" "expected value at line 1 column 1"
bad '1.';                    refuse "jcs rejects a bare decimal point" "EOF while parsing a value at line 1 column 2"
bad '1e400';                 refuse "jcs rejects 1e400" "number out of range at line 1 column 5"
bad '[-1e400]';              refuse "jcs --rfc8785 rejects -1e400" "number out of range at line 1 column 7" --rfc8785
bad '[1.7976931348623159e308]'; refuse "jcs rejects just above DBL_MAX" "number out of range"
bad 'NaN';                   refuse "jcs rejects NaN" "expected value at line 1 column 1"
python3 -c "import sys; sys.stdout.write('[' * 128 + ']' * 128)" >"$D/bad"
refuse "jcs rejects 128 nested arrays" "recursion limit exceeded at line 1 column 128"
refuse "jcs --rfc8785 rejects 128 nested arrays" "recursion limit exceeded at line 1 column 128" --rfc8785
python3 -c "import sys; sys.stdout.write('{\"a\":' * 129 + '1' + '}' * 129)" >"$D/bad"
refuse "jcs rejects 129 nested objects" "recursion limit exceeded at line 1 column 636"
python3 -c "import sys; sys.stdout.write('[' * 1000000)" >"$D/bad"
refuse "jcs rejects 10^6 open brackets" "recursion limit exceeded"

# Input larger than the 16 MiB artifact cap is refused without output.
head -c 16777217 /dev/zero | tr '\0' ' ' >"$D/huge.json"
run "$RPVAULT" jcs "$D/huge.json"
if [ "$RC" = 1 ] && [ ! -s "$T/.out" ] && [ -s "$T/.err" ]; then pass "jcs refuses input above 16 MiB"; else fail "jcs refuses input above 16 MiB" "want rc=1, empty stdout, a message"; fi

# A missing file and a usage error also write nothing to stdout.
run "$RPVAULT" jcs "$D/does-not-exist.json"
if [ "$RC" != 0 ] && [ ! -s "$T/.out" ] && [ -s "$T/.err" ]; then pass "jcs missing file"; else fail "jcs missing file" "want failure, empty stdout, a message"; fi
run "$RPVAULT" jcs "$D/nl.json" "$D/dup.json"
if [ "$RC" = 2 ] && [ ! -s "$T/.out" ]; then pass "jcs two files is a usage error"; else fail "jcs two files is a usage error" "want rc=2, empty stdout"; fi
