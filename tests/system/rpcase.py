#!/usr/bin/env python3
"""rpcase.py - build test runpacks by mutating a copy of a golden runpack.

Used only by the system tests: it writes manifests the way Decision Gate
does (canonical JSON, sorted keys, no whitespace), recomputing file hashes
and the root hash unless a case asks for them to be wrong.

usage: rpcase.py SRC_RUNPACK DEST_DIR CASE [ARG]
"""
import hashlib
import json
import os
import shutil
import sys


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def digest(h):
    return {"algorithm": "sha256", "value": h}


def root_of(entries):
    return sha(canon([{"hash": e["hash"], "path": e["path"]} for e in entries]))


def load(d, name="manifest.json"):
    with open(os.path.join(d, name), "rb") as f:
        return json.loads(f.read())


def save(d, m, name="manifest.json", fix_root=True):
    if fix_root:
        m["integrity"]["root_hash"] = digest(root_of(m["integrity"]["file_hashes"]))
    with open(os.path.join(d, name), "wb") as f:
        f.write(canon(m))


def add_file(d, m, path, data, kind="custom"):
    full = os.path.join(d, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
    h = digest(sha(data))
    m["integrity"]["file_hashes"].append({"hash": h, "path": path})
    m["artifacts"].append({"artifact_id": path, "content_type": "application/json", "hash": h,
                           "kind": kind, "path": path, "required": True})


def rename_path(m, old, new):
    for e in m["integrity"]["file_hashes"] + m["artifacts"]:
        if e["path"] == old:
            e["path"] = new
            if "artifact_id" in e:
                e["artifact_id"] = new


def main():
    src, dst, case = sys.argv[1], sys.argv[2], sys.argv[3]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    shutil.copytree(src, dst, symlinks=True)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o755)
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                os.chmod(p, 0o644)
    m = load(dst)
    fh = m["integrity"]["file_hashes"]
    if case == "spec_hash_wrong":
        m["spec_hash"] = digest("0" * 64)
    elif case == "artifact_hash_disagrees":
        m["artifacts"][1]["hash"] = digest("1" * 64)
    elif case == "artifact_path_disagrees":
        m["artifacts"][1]["path"] = "artifacts/other.json"
    elif case == "artifact_extra":
        m["artifacts"].append(dict(m["artifacts"][0], path="artifacts/extra.json", artifact_id="artifacts/extra.json"))
    elif case == "drop_standard":
        m["integrity"]["file_hashes"] = [e for e in fh if e["path"] != arg]
        m["artifacts"] = [e for e in m["artifacts"] if e["path"] != arg]
    elif case == "duplicate_path":
        fh.append(dict(fh[1]))
        m["artifacts"].append(dict(m["artifacts"][1]))
    elif case == "rename":  # ARG = "old=new": list the file under another spelling
        old, new = arg.split("=", 1)
        rename_path(m, old, new)
    elif case == "add_file_size":  # ARG = size in bytes of artifacts/big.json
        add_file(dst, m, "artifacts/big.json", b"x" * int(arg))
    elif case == "symlink_file_outside":
        target = os.path.join(dst, "..", "outside-" + os.path.basename(dst) + ".json")
        shutil.copy(os.path.join(dst, "artifacts/triggers.json"), target)
        os.unlink(os.path.join(dst, "artifacts/triggers.json"))
        os.symlink(os.path.abspath(target), os.path.join(dst, "artifacts/triggers.json"))
    elif case == "symlink_file_inside":
        os.rename(os.path.join(dst, "artifacts/triggers.json"), os.path.join(dst, "artifacts/real.json"))
        os.symlink("real.json", os.path.join(dst, "artifacts/triggers.json"))
    elif case == "symlink_dir_inside":
        os.rename(os.path.join(dst, "artifacts"), os.path.join(dst, "real"))
        os.symlink("real", os.path.join(dst, "artifacts"))
    elif case == "symlink_dir_outside":
        out = os.path.join(dst, "..", "outside-dir-" + os.path.basename(dst))
        shutil.move(os.path.join(dst, "artifacts"), out)
        os.symlink(os.path.abspath(out), os.path.join(dst, "artifacts"))
    elif case == "fifo":
        os.unlink(os.path.join(dst, "artifacts/packets.json"))
        os.mkfifo(os.path.join(dst, "artifacts/packets.json"))
    elif case == "directory":
        os.unlink(os.path.join(dst, "artifacts/packets.json"))
        os.mkdir(os.path.join(dst, "artifacts/packets.json"))
    elif case == "manifest_bytes":  # ARG: truncated | bom | latin1 | empty
        raw = open(os.path.join(dst, "manifest.json"), "rb").read()
        data = {"truncated": raw[: len(raw) // 2], "bom": b"\xef\xbb\xbf" + raw,
                "latin1": raw.replace(b"run-1", b"run-\xe9"), "empty": b""}[arg]
        open(os.path.join(dst, "manifest.json"), "wb").write(data)
        return
    elif case == "remove_manifest":
        os.unlink(os.path.join(dst, "manifest.json"))
        return
    elif case == "manifest_as":  # rename manifest.json to ARG
        os.rename(os.path.join(dst, "manifest.json"), os.path.join(dst, arg))
        return
    elif case == "no_security":
        m.pop("security", None)
    elif case == "unix_millis":
        m["generated_at"] = {"kind": "unix_millis", "value": int(arg)}
    else:
        sys.exit("unknown case " + case)
    save(dst, m)


if __name__ == "__main__":
    main()
