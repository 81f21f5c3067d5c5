#!/usr/bin/env python3
"""curl_versions.py - the oldest libcurl the broker's source can work with.

What: reads libcurl's own record of when each symbol and function appeared
(libcurl4-doc: man3/libcurl-symbols.3 "Introduced in X", man3/<function>.3
"AVAILABILITY ... added in X"), collects every CURL* identifier and every
curl_*() call or definition in the given C files (comments and string
literals removed, so a name that is only mentioned or dlsym'ed by its
string does not count), and prints one TAP line per identifier newer than
the minimum, plus a summary line. An identifier the files #define
themselves (a fallback for older headers) is theirs, not libcurl's.

Why: src/broker/curl_lazy.h promises that rpvault builds and runs with
libcurl 7.61 (RHEL 8); only a newer libcurl can be installed on the
development machine, so this check is what keeps a newer option or call
from slipping in unnoticed (tests/system/test_curl_compat.sh).

Usage: curl_versions.py MAN3_DIR MIN_VERSION FILE...
  MIN_VERSION as in curl_lazy.h (0x073d00) or dotted (7.61.0).
Exit: 0 when every identifier is known and not newer, 1 otherwise, 2 on
usage or unreadable input. Test code, not part of rpvault.
"""
import gzip
import os
import re
import sys


def version_tuple(text):
    text = text.strip()
    if text.lower().startswith("0x"):
        n = int(text, 16)
        return ((n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF)
    parts = [int(p) for p in text.split(".")]
    return tuple((parts + [0, 0, 0])[:3])


def show(v):
    return "%d.%d.%d" % v


def read_man(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.read()


def man_page(man3, name):
    for suffix in (".3.gz", ".3"):
        p = os.path.join(man3, name + suffix)
        if os.path.exists(p):
            return p
    return None


def symbol_versions(man3):
    """CURL* symbol -> the version that introduced it."""
    page = man_page(man3, "libcurl-symbols")
    if page is None:
        raise OSError("no libcurl-symbols.3 in " + man3)
    out, current = {}, None
    for line in read_man(page).splitlines():
        m = re.match(r'^\.IP\s+"?([A-Za-z0-9_]+)"?\s*$', line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Introduced in ([0-9][0-9.]*)", line)
        if m and current is not None and current not in out:
            out[current] = version_tuple(m.group(1).rstrip("."))
    return out


def function_version(man3, name):
    """The version a curl_*() function appeared in, from its man page."""
    page = man_page(man3, name)
    if page is None:
        return None
    text = read_man(page)
    m = re.search(r"\.SH AVAILABILITY(.*?)(?:\n\.SH|\Z)", text, re.S)
    if m is None:
        return None
    if re.match(r"\s*Always\b", m.group(1)):
        return (0, 0, 0)  # as old as libcurl's current API
    v = re.search(r"([0-9]+\.[0-9]+(?:\.[0-9]+)?)", m.group(1))
    return version_tuple(v.group(1)) if v else None


def strip_c(text):
    """C source without comments, string and character literals."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    man3, minimum, files = argv[1], version_tuple(argv[2]), argv[3:]
    try:
        symbols = symbol_versions(man3)
        code = {f: strip_c(open(f, encoding="utf-8").read()) for f in files}
    except (OSError, ValueError) as e:
        print("not ok - read libcurl's symbol record and the sources: %s" % e)
        return 2
    ours = set()
    for text in code.values():
        ours.update(re.findall(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M))
    used_syms, used_fns = {}, {}
    for f, text in code.items():
        for s in re.findall(r"\b(CURL[A-Z0-9]*_[A-Z0-9_]+)\b", text):
            used_syms.setdefault(s, f)
        for fn in re.findall(r"\b(curl_[a-z0-9_]+)\s*\(", text):
            used_fns.setdefault(fn, f)
    syms = sorted(s for s in used_syms if s not in ours)
    # (shown name, where, version or None, what an unknown one lacks)
    items = [(s, used_syms[s], symbols.get(s), "not in libcurl's symbol record") for s in syms]
    items += [(fn + "()", used_fns[fn], function_version(man3, fn), "no availability in libcurl's man pages")
              for fn in sorted(used_fns)]
    bad = 0
    for name, where, v, unknown in items:
        if v is None:
            print("not ok - %s (%s): %s" % (name, where, unknown))
        elif v > minimum:
            print("not ok - %s (%s) appeared in libcurl %s, after %s" % (name, where, show(v), show(minimum)))
        else:
            continue
        bad += 1
    if bad == 0:
        print("ok - all %d libcurl symbols and functions the broker uses exist in libcurl %s (%d symbols, %d functions)"
              % (len(items), show(minimum), len(syms), len(used_fns)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
