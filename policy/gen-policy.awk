# gen-policy.awk - turns policy/child.policy into the C table that
# sandbox/sandbox_seccomp.c loads (see sandbox/policy.h for its shape).
#
# Why: the reviewed text is the only place the allowlist is written; the
# generator refuses anything it does not fully understand (bad names,
# duplicates, unparsable rules, missing reasons), so a malformed policy
# fails the build instead of producing a weaker filter.
# Usage: awk -f policy/gen-policy.awk policy/child.policy > policy_table.c
# Portable POSIX awk (Debian's default is mawk).

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

function die(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	failed = 1
	exit 1
}

function token(t, what) {
	if (t ~ /^0x[0-9a-fA-F]+$/ || t ~ /^[0-9]+$/ || t ~ /^[A-Z_][A-Z0-9_]*$/)
		return "(uint64_t)(" t ")"
	die("bad " what " '" t "' (want a number or an upper-case macro)")
}

BEGIN {
	FS = "|"
	n = 0
	failed = 0
}

/^[ \t]*#/ || /^[ \t]*$/ { next }

{
	if (NF != 3)
		die("want three '|'-separated fields: name | rule | reason")
	name = trim($1)
	rule = trim($2)
	reason = trim($3)
	if (name !~ /^[a-z_][a-z0-9_]*$/)
		die("bad system call name '" name "'")
	if (name in seen)
		die("duplicate entry for '" name "' (one line per system call)")
	seen[name] = 1
	if (reason == "")
		die("missing reason for '" name "'")
	if (reason ~ /["\\]/ || rule ~ /["\\]/)
		die("quotes and backslashes are not allowed")
	args = ""
	nargs = 0
	split("", used)
	if (rule != "-") {
		nc = split(rule, conds, "&&")
		if (nc > 6)
			die("more than 6 argument conditions")
		for (i = 1; i <= nc; i++) {
			c = conds[i]
			gsub(/[ \t]/, "", c)
			if (c !~ /^a[0-5](&[A-Za-z0-9_]+)?==[A-Za-z0-9_]+$/)
				die("cannot parse condition '" trim(conds[i]) "'")
			argn = substr(c, 2, 1)
			if (argn in used)
				die("two conditions on a" argn " in one rule")
			used[argn] = 1
			eq = index(c, "==")
			lhs = substr(c, 1, eq - 1)
			val = token(substr(c, eq + 2), "value")
			amp = index(lhs, "&")
			if (amp > 0)
				cmp = "{ " argn ", SCMP_CMP_MASKED_EQ, " token(substr(lhs, amp + 1), "mask") ", " val " }"
			else
				cmp = "{ " argn ", SCMP_CMP_EQ, " val ", 0 }"
			args = args (nargs > 0 ? ", " : "") cmp
			nargs++
		}
	}
	rules[n] = "\t{ \"" name "\", " nargs ", { " (nargs > 0 ? args : "{ 0, SCMP_CMP_EQ, 0, 0 }") " },\n\t  \"" rule "\",\n\t  \"" reason "\" },"
	n++
}

END {
	if (failed)
		exit 1
	if (n == 0) {
		printf "%s: no system calls listed\n", FILENAME > "/dev/stderr"
		exit 1
	}
	print "/* generated from policy/child.policy by policy/gen-policy.awk - do not edit */"
	print "#include <stddef.h>"
	print "#include <stdint.h>"
	print "#include <sys/mman.h>"
	print ""
	print "#include \"policy.h\""
	print ""
	print "const rp_policy_rule rp_policy_rules[] = {"
	for (i = 0; i < n; i++)
		print rules[i]
	print "};"
	print "const size_t rp_policy_nrules = " n ";"
}
