#!/usr/bin/env python3
"""s3tool.py - an independent S3 client for the system tests and the bench.

What: small operations on the test RGW through boto3 (not through rpvault's
own signer or transport), so the tests can set up buckets, look at what
rpvault wrote and damage it behind rpvault's back.

Why: a test that only used rpvault to check rpvault would prove nothing
about what is really in the bucket.

usage: s3tool.py COMMAND ARGS...
  mkbucket BUCKET [--versioning] [--object-lock]
                                  create (idempotent); --object-lock implies
                                  versioning (S3 rule)
  put BUCKET KEY FILE             upload FILE's bytes as KEY
  get BUCKET KEY [OUT]            download KEY to OUT (default stdout)
  delete BUCKET KEY               DeleteObject without a version id (on a
                                  versioned bucket: a delete marker)
  versions BUCKET PREFIX          print the number of object versions and
                                  delete markers under PREFIX
  count BUCKET PREFIX             print the number of current keys under PREFIX
  list BUCKET [PREFIX]            print the current keys, one per line (raw
                                  UTF-8)
  plant-large BUCKET KEY [SIZE]   upload SIZE bytes (default 16 MiB + 1) of
                                  valid JSON ("[" + spaces + "]")
  purge BUCKET PREFIX             delete every object version and delete
                                  marker under PREFIX (plain or versioned)
  get-tree BUCKET PREFIX DIR      download every current key under PREFIX into
                                  DIR/<key without PREFIX> (DIR must not exist)
  put-tree BUCKET PREFIX DIR      upload every file under DIR as
                                  PREFIX + relative path
  serve REQ REPLY OUT ERR PPID    answer requests from the FIFO REQ until PPID
                                  exits (see below)

serve: boto3 takes about a second to import, so a test that makes dozens of
calls starts one server. A request written to the FIFO REQ is the argument
count and the arguments, each ending in a NUL byte (`printf '%s\\0' "$#"
"$@"`); the server runs it with stdout in the file OUT and stderr in the
file ERR (both truncated first), then writes the exit status and a newline
to the FIFO REPLY. OUT is created (empty) once the server is ready. It stops when PPID is gone or on the request "quit".

Environment: S3_ENDPOINT (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1). Path-style URLs
(what the test RGW serves). Exit 0 on success, 1 on an S3 error (printed
on stderr as "s3tool: CODE: message", never with the secret), 2 on usage,
3 when boto3 is missing.

Security posture: test code only; talks to the endpoint it is given.
"""
import os
import select
import sys

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - reported to the caller
    sys.stderr.write("s3tool: python3-boto3 is not installed (apt-get install python3-boto3)\n")
    sys.exit(3)

LARGE_DEFAULT = 16 * 1024 * 1024 + 1


class Usage(Exception):
    pass


def client():
    endpoint = os.environ.get("S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise Usage("S3_ENDPOINT is not set")
    kw = dict(signature_version="s3v4", s3={"addressing_style": "path"},
              retries={"max_attempts": 3, "mode": "standard"},
              connect_timeout=5, read_timeout=60, max_pool_connections=16)
    # boto3 >= 1.36 adds CRC checksums and aws-chunked uploads by default,
    # which Ceph 16 does not understand; older boto3 (Debian's 1.26) has
    # neither the behaviour nor these settings.
    try:
        cfg = Config(request_checksum_calculation="when_required",
                     response_checksum_validation="when_required", **kw)
    except TypeError:
        cfg = Config(**kw)
    return boto3.client("s3", endpoint_url=endpoint,
                        region_name=os.environ.get("AWS_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
                        config=cfg)


def mkbucket(s3, out, args):
    bucket = args[0]
    flags = set(args[1:])
    if flags - {"--versioning", "--object-lock"}:
        raise Usage("mkbucket: unknown flag")
    kw = {"Bucket": bucket}
    if "--object-lock" in flags:
        kw["ObjectLockEnabledForBucket"] = True
    try:
        s3.create_bucket(**kw)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    if "--versioning" in flags and "--object-lock" not in flags:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def put(s3, out, args):
    bucket, key, path = args
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())


def get(s3, out, args):
    bucket, key = args[0], args[1]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if len(args) > 2:
        with open(args[2], "wb") as f:
            f.write(body)
    else:
        out.write(body)


def delete(s3, out, args):
    bucket, key = args
    s3.delete_object(Bucket=bucket, Key=key)


def versions(s3, out, args):
    bucket, prefix = args
    n = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        n += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
    out.write(b"%d\n" % n)


def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            yield o["Key"]


def count(s3, out, args):
    bucket, prefix = args
    out.write(b"%d\n" % sum(1 for _ in keys(s3, bucket, prefix)))


def list_(s3, out, args):
    bucket = args[0]
    prefix = args[1] if len(args) > 1 else ""
    for k in keys(s3, bucket, prefix):
        out.write(k.encode("utf-8") + b"\n")


def plant_large(s3, out, args):
    bucket, key = args[0], args[1]
    size = int(args[2]) if len(args) > 2 else LARGE_DEFAULT
    body = b"[" + b" " * (size - 2) + b"]"
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def purge(s3, out, args):
    bucket, prefix = args
    batch = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            batch.append({"Key": v["Key"], "VersionId": v["VersionId"]})
    for i in range(0, len(batch), 1000):
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch[i:i + 1000], "Quiet": True})
        if r.get("Errors"):
            e = r["Errors"][0]
            raise ClientError({"Error": {"Code": e.get("Code"), "Message": e.get("Key")}}, "DeleteObjects")


def get_tree(s3, out, args):
    bucket, prefix, top = args
    os.mkdir(top)
    for k in keys(s3, bucket, prefix):
        rel = k[len(prefix):]
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts):
            raise OSError("get-tree: refusing key %r" % k)
        dest = os.path.join(top, *parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(s3.get_object(Bucket=bucket, Key=k)["Body"].read())


def put_tree(s3, out, args):
    bucket, prefix, top = args
    for root, _dirs, files in os.walk(top):
        for name in sorted(files):
            p = os.path.join(root, name)
            rel = os.path.relpath(p, top).replace(os.sep, "/")
            with open(p, "rb") as f:
                s3.put_object(Bucket=bucket, Key=prefix + rel, Body=f.read())


COMMANDS = {
    "mkbucket": (mkbucket, 1, 3),
    "put": (put, 3, 3),
    "get": (get, 2, 3),
    "delete": (delete, 2, 2),
    "versions": (versions, 2, 2),
    "count": (count, 2, 2),
    "list": (list_, 1, 2),
    "plant-large": (plant_large, 2, 3),
    "purge": (purge, 2, 2),
    "get-tree": (get_tree, 3, 3),
    "put-tree": (put_tree, 3, 3),
}


def usage_text():
    doc = __doc__
    return doc[doc.index("usage:"):doc.index("serve:")]


def dispatch(s3, argv, out, err):
    """Runs one command; returns its exit status."""
    if not argv or argv[0] not in COMMANDS:
        err.write(usage_text())
        return 2
    fn, lo, hi = COMMANDS[argv[0]]
    args = argv[1:]
    if not lo <= len(args) <= hi:
        err.write(usage_text())
        return 2
    try:
        fn(s3 if s3 is not None else client(), out, args)
    except Usage as e:
        err.write("s3tool: %s\n" % e)
        return 2
    except ClientError as e:
        e2 = e.response.get("Error", {})
        err.write("s3tool: %s: %s\n" % (e2.get("Code", "?"), e2.get("Message") or ""))
        return 1
    except (BotoCoreError, OSError, ValueError) as e:
        err.write("s3tool: %s\n" % e)
        return 1
    return 0


def serve(req, reply, out_path, err_path, ppid):
    s3 = client()
    fd = os.open(req, os.O_RDWR)  # never sees EOF between writers
    open(out_path, "wb").close()  # ready: the caller waits for OUT to exist
    buf = b""
    while True:
        # A request: count NUL, then count arguments each ending in NUL.
        while True:
            fields = buf.split(b"\0")
            if len(fields) > 1:
                try:
                    n = int(fields[0])
                except ValueError:
                    return 2
                if len(fields) > n + 1:
                    argv = [f.decode("utf-8", "surrogateescape") for f in fields[1:n + 1]]
                    buf = b"\0".join(fields[n + 1:])
                    break
            r, _, _ = select.select([fd], [], [], 2.0)
            if not r:
                try:
                    os.kill(ppid, 0)
                except ProcessLookupError:
                    return 0
                continue
            chunk = os.read(fd, 65536)
            buf += chunk
        if argv == ["quit"]:
            return 0
        with open(out_path, "wb") as out, open(err_path, "w", encoding="utf-8", errors="replace") as err:
            rc = dispatch(s3, argv, out, err)
        with open(reply, "w") as f:
            f.write("%d\n" % rc)


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "serve":
        if len(argv) != 6:
            sys.stderr.write(usage_text())
            sys.exit(2)
        sys.exit(serve(argv[1], argv[2], argv[3], argv[4], int(argv[5])))
    rc = dispatch(None, argv, sys.stdout.buffer, sys.stderr)
    sys.stdout.flush()
    sys.exit(rc)


if __name__ == "__main__":
    main()
