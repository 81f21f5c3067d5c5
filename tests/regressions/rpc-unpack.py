#!/usr/bin/env python3
"""rpc-unpack.py CONTAINER DEST_DIR - turn a harness_verify input (.rpc) into
a runpack directory the real binary can verify (tests/system/test_regressions.sh).

Container format (fuzz/harness_verify.c): the manifest, then entries
"\\n@@@ PATH\\n" + bytes (a file) or "\\n@@! PATH\\n" + code byte + bytes (a
file whose read fails in the harness; here just the bytes). Control entries
starting with '%' are not files: %name is written to DEST_DIR.name (the
--manifest argument), the others (%prefix, %lax, %policy) have no command
line equivalent and are dropped. Entries whose path could leave DEST_DIR
(absolute, "..", empty or NUL components) are skipped; the verifier then
reports them missing, as it would for such a runpack on disk.
"""
import os
import re
import sys

src, dest = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
os.makedirs(dest)
seps = [m.start() for m in re.finditer(rb"\n@@[@!] ", data)]
# entries must not overlap: a separator inside a path line is part of it
entries, pos = [], 0
starts = []
for s in seps:
    if s >= pos:
        starts.append(s)
        nl = data.find(b"\n", s + 5)
        pos = nl if nl >= 0 else len(data)
manifest = data[: starts[0]] if starts else data
if manifest:
    with open(os.path.join(dest, "manifest.json"), "wb") as f:
        f.write(manifest)
for i, s in enumerate(starts):
    fail = data[s + 3: s + 4] == b"!"
    nl = data.find(b"\n", s + 5)
    end = starts[i + 1] if i + 1 < len(starts) else len(data)
    path = data[s + 5: nl if 0 <= nl < end else end]
    body = data[nl + 1: end] if 0 <= nl < end else b""
    if fail and body:
        body = body[1:]
    if path.startswith(b"%"):
        if path == b"%name":
            with open(dest.rstrip("/") + ".name", "wb") as f:
                f.write(body.split(b"\0")[0])
        continue
    parts = path.split(b"/")
    if not path or path.startswith(b"/") or b"\0" in path or any(p in (b"", b".", b"..") for p in parts):
        continue
    p = os.path.join(dest.encode(), path)
    if os.path.isdir(p):
        continue
    try:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
    except OSError:
        pass  # e.g. a file where a directory is needed: leave it out
