#!/usr/bin/env python3
"""gen-seeds.py - (re)generate the seed corpora in fuzz/corpus/<harness>/.

usage: python3 fuzz/gen-seeds.py [FIXTURES_DIR] [SPEC_DIR]
       (defaults: ../shared/fixtures and ../shared/spec next to the repo)

Seeds are small (each <= 8 KiB, at most ~20 per harness) and derived from
Decision Gate's fixture runpacks where that helps: a verify seed is a
runpack packed into the harness's container format (harness_verify.c), a
frame seed is a well-formed frame conversation (harness_frame.c). Run
`make fuzz-cmin` afterwards to minimise. Existing corpus files of the
harnesses generated here are replaced; other harnesses are not touched.
"""
import hashlib
import json
import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "..", "shared", "fixtures")
SPEC = sys.argv[2] if len(sys.argv) > 2 else os.path.join(TOP, "..", "shared", "spec")
MAX_SEED = 8192
MAX_PER_HARNESS = 20


def out_dir(h):
    d = os.path.join(TOP, "fuzz", "corpus", h)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    return d


def write_seeds(h, seeds):
    d = out_dir(h)
    n = 0
    for name, data in seeds:
        if len(data) > MAX_SEED or n >= MAX_PER_HARNESS:
            continue
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        n += 1
    print(f"{h}: {n} seeds")


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def runpack_files(d):
    files = []
    for root, _dirs, names in os.walk(d):
        for n in sorted(names):
            p = os.path.join(root, n)
            rel = os.path.relpath(p, d)
            if rel == "manifest.json":
                continue
            with open(p, "rb") as f:
                files.append((rel, f.read()))
    return sorted(files)


def container(manifest, files, extra=b""):
    out = manifest
    for rel, data in files:
        out += b"\n@@@ " + rel.encode() + b"\n" + data
    return out + extra


# ---------------------------------------------------------------- verify
def verify_seeds():
    seeds = []
    for group in ("runpacks", "adversarial"):
        base = os.path.join(FIX, group)
        if not os.path.isdir(base):
            continue
        for case in sorted(os.listdir(base)):
            d = os.path.join(base, case)
            mp = os.path.join(d, "manifest.json")
            if not os.path.isfile(mp):
                continue
            with open(mp, "rb") as f:
                m = f.read()
            seeds.append((f"{group}_{case}", container(m, runpack_files(d))))
    # prefer the interesting ones when trimming to MAX_PER_HARNESS
    order = ["runpacks_golden_time_after_pass", "runpacks_backcompat_v1",
             "adversarial_anchor_ok_object", "adversarial_anchor_type_mismatch",
             "adversarial_anchor_field_missing", "adversarial_duplicate_decision",
             "adversarial_decision_log_invalid_json", "adversarial_path_parent_traversal",
             "adversarial_manifest_duplicate_key", "adversarial_unknown_fields",
             "adversarial_tamper_artifact", "adversarial_version_v2",
             "adversarial_manifest_tenant_zero", "adversarial_missing_artifact"]
    seeds.sort(key=lambda s: order.index(s[0]) if s[0] in order else len(order))
    seeds = [s for s in seeds if len(s[1]) <= MAX_SEED][:15]
    # A tiny synthetic runpack exercising the container's control entries.
    art = b'[]'
    spec = canon({"scenario_id": "s", "namespace_id": 7, "spec_version": "1",
                  "stages": [], "conditions": [{"condition_id": "c",
                                                "query": {"provider_id": "p", "check_id": "k"}}]})
    files = [("artifacts/decisions.json", art), ("artifacts/scenario_spec.json", spec)]
    fh = [{"hash": {"algorithm": "sha256", "value": sha(d)}, "path": p} for p, d in files]
    m = {"manifest_version": "v1", "generated_at": {"kind": "unix_millis", "value": -5},
         "scenario_id": "s", "tenant_id": 1, "namespace_id": 7, "run_id": "r",
         "spec_hash": {"algorithm": "sha256", "value": sha(spec)},
         "hash_algorithm": "sha256", "verifier_mode": "offline_with_fetch",
         "anchor_policy": {"providers": [{"provider_id": "p", "requirement": {
             "anchor_type": "t", "required_fields": ["b", "a"]}}]},
         "security": {"dev_permissive": True, "namespace_authority": "auth"},
         "integrity": {"file_hashes": fh, "root_hash": {"algorithm": "sha256",
                                                        "value": sha(canon(fh))}},
         "artifacts": [{"artifact_id": p, "content_type": None, "hash": e["hash"],
                        "kind": "custom", "path": p, "required": False}
                       for (p, _), e in zip(files, fh)]}
    gate = canon([{"evaluation": {"gate_id": "g"}, "stage_id": "st", "trigger_id": "t1",
                   "evidence": [{"condition_id": "c", "status": "True", "result": {
                       "evidence_anchor": {"anchor_type": "t",
                                           "anchor_value": "{\"a\":1,\"b\":\"x\"}"}}}]}])
    prefix = ("tenant/1/namespace/7/scenario/s/run/r/spec/sha256/" + sha(spec) + "/").encode()
    seeds.append(("synthetic_controls", container(canon(m), files + [
        ("artifacts/gate_evals.json", gate)],
        b"\n@@@ %prefix\n" + prefix + b"\n@@@ %policy\n" +
        b'{"providers":[{"provider_id":" p","requirement":{"anchor_type":"t",'
        b'"required_fields":[" z ","a","a",""]}}]}')))
    seeds.append(("synthetic_injected_failure", container(canon(m), files[:1]) +
                  b"\n@@! artifacts/scenario_spec.json\n\x01" + spec))
    seeds.append(("synthetic_runpack_json_fallback", b"\n@@@ runpack.json\n" + canon(m) +
                  b"\n@@@ %lax\n"))
    seeds.append(("synthetic_explicit_name", b"\n@@@ %name\nother.json\n@@@ other.json\n" +
                  canon(m)))
    write_seeds("verify", seeds)


# ------------------------------------------------------------------ jcs
def jcs_seeds():
    seeds = []
    p = os.path.join(SPEC, "jcs_cases.json")
    if os.path.isfile(p):
        with open(p, "rb") as f:
            for c in json.load(f):
                seeds.append((c["case"], c["input"].encode()))
    seeds += [("extra_numbers", b"[0,-0,1e400,1E-7,0.1,18446744073709551615,18446744073709551616,"
                          b"-9223372036854775808,-9223372036854775809,123456789012345678901234567890]"),
              ("extra_strings", b'["\\u0000","\\ud83d\\ude00","\\ud800","\xc3\xa9","\\/","\\b\\f\\n\\r\\t"]'),
              ("nested", b'{"b":[{"z":null,"y":true,"x":false}],"a":{"\xe2\x82\xac":1,"\\u20ac":2}}'),
              ("dup_keys", b'{"a":1,"a":2}'),
              ("bom", b"\xef\xbb\xbf{}")]
    write_seeds("jcs", seeds)


# ----------------------------------------------------------------- path
def path_seeds():
    h = "5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8"
    seeds = [("artifact", b"artifacts/decisions.json"), ("traversal", b"a/../b"),
             ("dotdot", b".."), ("dot", b"./a"), ("empty_seg", b"a//b"), ("trailing", b"a/"),
             ("abs", b"/abs"), ("backslash", b"a\\b"), ("control", b"a\x01b\x7f"),
             ("nul", b"a\x00b"), ("utf8", b"sc\xc3\xa9n ario/r\xe2\x82\xacn"),
             ("bad_utf8", b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"),
             ("prefix", ("tenant/1/namespace/7/scenario/golden-time-after/run/run-1/spec/sha256/"
                         + h + "/").encode()),
             ("prefix_zero", ("tenant/0/namespace/7/scenario/s/run/r/spec/sha256/" + h + "/").encode()),
             ("triple", b"golden-time-after\nrun-1\n" + h.encode()),
             ("root_ws", b" root/ "), ("root_double", b"root//"), ("root_dot", b"a/./b"),
             ("long_seg", b"a" * 256)]
    write_seeds("path", seeds)


# --------------------------------------------------------------- config
def config_seeds():
    seeds = [("full", b"# rpvault.conf\n[store]\nuri = file:///var/lib/rpvault/store\n\n[sandbox]\nuser = nobody\n"),
             ("crlf", b"[store]\r\nuri=file:///x\r\n; comment\r\n"),
             ("spaces", b"  [sandbox]  \n\tuser\t=\t_rpvault  \n"),
             ("unknown_key", b"[store]\nurl = x\n"), ("unknown_section", b"[s3]\nbucket = b\n"),
             ("no_section", b"uri = x\n"), ("no_equals", b"[store]\nuri\n"),
             ("empty_value", b"[store]\nuri =\n"), ("control", b"[store]\nuri = a\x01b\n"),
             ("nul", b"[store]\nuri = a\x00b\n"), ("bad_header", b"[store\n"),
             ("long_key", b"[store]\n" + b"k" * 70 + b" = v\n")]
    write_seeds("config", seeds)


# ---------------------------------------------------------------- frame
T = dict(JOB=1, DONE=2, READ_REQ=3, WRITE_BEGIN=4, COPY_REQ=5, STORE_OPEN=6, COMMIT=7,
         LIST_REQ=8, OUTPUT=9, DATA=10, END=11, OK=12, ERR=13, LIST_ENTRY=14,
         EXPORT_PLAN=20, EXPORT_WAIT=21, EXPORT_RESULT=22, EXPORT_REPORT=23)
IN, OUT, STORE, FILE = 1, 2, 3, 4
PREFIX = (b"tenant/1/namespace/7/scenario/s/run/r/spec/sha256/"
          b"5e2f158f4b4192a29986215a340c3f50f64166da28b210d23b4892a417f694e8/")
MAXART = 16 * 1024 * 1024


class Stream:
    def __init__(self, seq=1):
        self.b = b""
        self.seq = seq

    def f(self, t, payload=b""):
        self.b += struct.pack("<III", T[t], len(payload), self.seq) + payload
        self.seq += 1
        return self

    def data(self, content):
        for i in range(0, len(content), 4096):
            self.f("DATA", content[i:i + 4096])
        return self.f("END")


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def export_plan(paths):
    # count, then per entry a 32-byte hash (a stand-in) and the path + NUL
    return u32(len(paths)) + b"".join(bytes([0xa0 + i]) * 32 + p + b"\0"
                                      for i, p in enumerate(paths))


def export_result(inp, code, existed, status, clen, wlen):
    return u32(inp) + u32(code) + u32(existed) + u32(status) + u32(clen) + u32(wlen)


def frame_seeds():
    seeds = []
    # mode 0: the broker serving a child, one conversation per job kind
    s = Stream().f("READ_REQ", u32(IN) + u64(MAXART) + b"manifest.json")
    s.f("READ_REQ", u32(IN) + u64(100) + b"big").f("READ_REQ", u32(IN) + u64(10) + b"grow")
    s.f("READ_REQ", u32(IN) + u64(MAXART) + b"missing").f("READ_REQ", u32(IN) + u64(5) + b"nocode")
    s.f("OUTPUT", u32(1) + b"{}\n").f("DONE", u32(0))
    seeds.append(("broker_verify", bytes([0, 0, 0]) + s.b))
    s = Stream().f("READ_REQ", u32(IN) + u64(MAXART) + b"manifest.json")
    s.f("STORE_OPEN", u32(1) + PREFIX).f("WRITE_BEGIN", u32(STORE) + u64(5) + b"a/b.json")
    s.f("DATA", b"hel").f("DATA", b"lo").f("END")
    s.f("COPY_REQ", u32(IN) + u32(STORE) + u64(MAXART) + b"artifacts/x.json")
    s.f("READ_REQ", u32(STORE) + u64(MAXART) + b"eio").f("OUTPUT", u32(2) + b"err\n")
    s.f("DONE", u32(11) + b"verification failed")
    seeds.append(("broker_export", bytes([0, 2, 0]) + s.b))
    s = Stream().f("READ_REQ", u32(FILE) + u64(MAXART))
    s.f("READ_REQ", u32(OUT) + u64(MAXART) + b"m.json")
    s.f("WRITE_BEGIN", u32(OUT) + u64(0) + b"empty.json").f("END").f("COMMIT").f("DONE", u32(0))
    seeds.append(("broker_pack", bytes([0, 1, 0x10]) + s.b))
    s = Stream().f("READ_REQ", u32(IN) + u64(MAXART) + b"manifest.json")
    s.f("COPY_REQ", u32(IN) + u32(OUT) + u64(MAXART) + b"a").f("COMMIT").f("DONE", u32(0))
    seeds.append(("broker_fetch", bytes([0, 3, 0x22]) + s.b))
    s = Stream().f("LIST_REQ").f("OUTPUT", u32(1) + b"complete x\n").f("DONE", u32(0))
    seeds.append(("broker_ls", bytes([0, 4, 0x0c]) + s.b))
    s = Stream().f("READ_REQ", u32(FILE) + u64(MAXART)).f("OUTPUT", u32(1) + b'{"a":1}')
    s.f("DONE", u32(0))
    seeds.append(("broker_jcs", bytes([0, 5, 0x40]) + s.b))
    s = Stream().f("DONE", u32(3) + b"out of memory \x1b[31m")
    seeds.append(("broker_done_only", bytes([0, 0, 0]) + s.b))
    # the S3 export pipeline (job kind byte | 0x80 sets RP_JOB_F_S3): two
    # plans, each result reported, then END and DONE
    s = Stream().f("STORE_OPEN", u32(1) + PREFIX)
    s.f("EXPORT_PLAN", export_plan([b"manifest.json", b"artifacts/a.json", b"artifacts/b.json"]))
    s.f("EXPORT_PLAN", export_plan([b"m.json"]))
    s.f("EXPORT_WAIT").f("EXPORT_REPORT", u32(0) + u32(0))
    s.f("EXPORT_WAIT").f("EXPORT_REPORT", u32(1) + u32(16) + b"uploading m.json: SlowDown")
    s.f("EXPORT_WAIT").f("DONE", u32(16) + b"one failed")
    seeds.append(("broker_export_s3", bytes([0, 2 | 0x80, 0x80]) + s.b))

    # mode 1: the child's rp_io against a scripted broker (JOB is seq 1)
    script = bytes([0 | 3 << 3, 6, 4 | 1 << 3, 2 | 1 << 3, 3 | 3 << 3, 5, 7, 1 | 3 << 3])
    s = Stream(2).data(b'{"manifest":true}')
    s.f("LIST_ENTRY", u32(1) + PREFIX).f("LIST_ENTRY", u32(0) + b"tenant/x/").f("END")
    s.f("OK").f("OK").f("ERR", u32(6) + b"copy: not found").f("ERR", u32(2) + b"commit failed")
    s.f("OK").data(b"policy")
    seeds.append(("child_script", bytes([1]) + script + s.b))
    script = bytes([0 | 1 << 3 | 4 << 3, 0, 7 | 2 << 3, 6 | 1 << 3, 0, 0, 0, 0])
    s = Stream(2).f("DATA", b"x" * 60).f("DATA", b"y" * 40).f("END")
    s.f("ERR", u32(6) + b"artifact error: not found")
    s.f("OK").f("OK")
    s.f("LIST_ENTRY", u32(1) + PREFIX).f("END")
    seeds.append(("child_script_errors", bytes([1]) + script + s.b))

    # mode 1, export ops (output op with param bit 3): plan, plan, wait +
    # report (a store failure with status, what and body), wait + report
    # (already stored), wait (END), output
    x = lambda sub: 7 | (8 | sub) << 3
    script = bytes([x(0), x(0), x(4), x(4), x(2), 7, 5, 7])
    tail = b"uploading artifacts/a.json" + b"PUT s3://fuzz/k" + b"<Error><Code>SlowDown</Code></Error>"
    s = Stream(2).f("OK").f("OK")
    s.f("EXPORT_RESULT", export_result(0, 16, 0, 503, 26, 15) + tail).f("OK")
    s.f("EXPORT_RESULT", export_result(1, 0, 1, 0, 0, 0)).f("OK")
    s.f("END").f("OK").f("OK").f("OK")
    seeds.append(("child_script_export", bytes([1]) + script + s.b))

    # mode 2: whole jobs in the child against scripted answers
    gold = os.path.join(FIX, "runpacks", "golden_time_after_pass")
    if os.path.isdir(gold):
        with open(os.path.join(gold, "manifest.json"), "rb") as f:
            mb = f.read()
        man = json.loads(mb)
        files = dict(runpack_files(gold))
        s = Stream(2).data(mb)
        for e in man["integrity"]["file_hashes"]:
            s.data(files.get(e["path"], b""))
        s.data(files.get("artifacts/decisions.json", b""))
        s.f("OK")
        seeds.append(("child_job_verify_golden", bytes([2, 0, 0, 0]) + s.b))
        # the same runpack exported to an object store (byte 3 bit 4: S3):
        # verified, STORE_OPEN, EXPORT_PLAN, then its result and the URI
        s = Stream(2).data(mb)
        for e in man["integrity"]["file_hashes"]:
            s.data(files.get(e["path"], b""))
        s.data(files.get("artifacts/decisions.json", b""))
        s.f("OK").f("OK").f("EXPORT_RESULT", export_result(0, 0, 0, 0, 0, 0)).f("OK").f("OK")
        seeds.append(("child_job_export_s3", bytes([2, 2, 0, 0x10]) + s.b))
    s = Stream(2).f("LIST_ENTRY", u32(1) + PREFIX).f("LIST_ENTRY", u32(0) + PREFIX)
    s.f("END").f("OK").f("OK")
    seeds.append(("child_job_ls", bytes([2, 4, 0, 0]) + s.b))
    s = Stream(2).data(b'{"b":[1,2.5,"\\u00e9"],"a":null}').f("OK")
    seeds.append(("child_job_jcs", bytes([2, 5, 0, 0]) + s.b))
    s = Stream(2).data(b'{"b":1e2,"a":-0}').f("OK")
    seeds.append(("child_job_jcs_rfc", bytes([2, 5, 1, 0]) + s.b))
    s = Stream(2).f("ERR", u32(6) + b"artifact error: not found").f("ERR", u32(6) + b"not found")
    s.f("OK")
    seeds.append(("child_job_verify_missing", bytes([2, 0, 0, 2]) + s.b))

    # mode 3: a fuzzed JOB payload (zero-padded by the harness)
    job = u32(6) + u32(0) + u32(0) + u32(0) + u64(0) + u64(1) + u64(7)
    job = job.ljust(552, b"\0") + b"manifest.json"
    s = Stream(2).data(b"[3,2,1]").f("OK")
    seeds.append(("child_fuzzed_job_jcs", bytes([3]) + struct.pack("<H", len(job)) + job + s.b))
    job = (u32(1) + u32(1 << 5)).ljust(552, b"\0") + b"m.json"
    s = Stream(2).f("ERR", u32(6) + b"nope").f("OK")
    seeds.append(("child_fuzzed_job_verify", bytes([3]) + struct.pack("<H", len(job)) + job + s.b))
    write_seeds("frame", seeds)


# ---------------------------------------------------------- sha256_diff
def sha_seeds():
    seeds = [("empty", b"\x00"), ("abc", b"\x00abc"),
             ("split_block", bytes([2, 64, 0, 63, 0]) + bytes(range(200))),
             ("many_splits", bytes([15]) + b"".join(struct.pack("<H", i * 17) for i in range(15))
              + b"\xaa" * 300),
             ("block_55", bytes([1, 55, 0]) + b"q" * 120)]
    write_seeds("sha256_diff", seeds)


if __name__ == "__main__":
    verify_seeds()
    jcs_seeds()
    path_seeds()
    config_seeds()
    frame_seeds()
    sha_seeds()
