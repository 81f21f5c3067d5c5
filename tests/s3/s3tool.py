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
                                  valid-looking JSON ("[" + spaces + "]")
  purge BUCKET PREFIX             delete every object version and delete
                                  marker under PREFIX (plain or versioned)
  get-tree BUCKET PREFIX DIR      download every current key under PREFIX into
                                  DIR/<key without PREFIX> (DIR must not exist)
  put-tree BUCKET PREFIX DIR      upload every file under DIR as
                                  PREFIX + relative path (bench helper)

Environment: S3_ENDPOINT (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1). Path-style URLs
(what the test RGW serves). Exit 0 on success, 1 on an S3 error (printed
on stderr as "s3tool: CODE: message", never with the secret), 2 on usage.

Security posture: test code only; talks to the endpoint it is given.
"""
import os
import sys

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - reported to the caller
    sys.stderr.write("s3tool: python3-boto3 is not installed (apt-get install python3-boto3)\n")
    sys.exit(3)

LARGE_DEFAULT = 16 * 1024 * 1024 + 1


def client():
    endpoint = os.environ.get("S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        sys.stderr.write("s3tool: S3_ENDPOINT is not set\n")
        sys.exit(2)
    kw = dict(signature_version="s3v4", s3={"addressing_style": "path"},
              retries={"max_attempts": 3, "mode": "standard"},
              connect_timeout=5, read_timeout=60)
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


def mkbucket(s3, args):
    bucket = args[0]
    flags = set(args[1:])
    unknown = flags - {"--versioning", "--object-lock"}
    if unknown:
        usage()
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


def put(s3, args):
    bucket, key, path = args
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())


def get(s3, args):
    bucket, key = args[0], args[1]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if len(args) > 2:
        with open(args[2], "wb") as f:
            f.write(body)
    else:
        sys.stdout.buffer.write(body)


def delete(s3, args):
    bucket, key = args
    s3.delete_object(Bucket=bucket, Key=key)


def versions(s3, args):
    bucket, prefix = args
    n = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        n += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
    print(n)


def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            yield o["Key"]


def count(s3, args):
    bucket, prefix = args
    print(sum(1 for _ in keys(s3, bucket, prefix)))


def list_(s3, args):
    bucket = args[0]
    prefix = args[1] if len(args) > 1 else ""
    out = sys.stdout.buffer
    for k in keys(s3, bucket, prefix):
        out.write(k.encode("utf-8") + b"\n")


def plant_large(s3, args):
    bucket, key = args[0], args[1]
    size = int(args[2]) if len(args) > 2 else LARGE_DEFAULT
    body = b"[" + b" " * (size - 2) + b"]"
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def purge(s3, args):
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


def get_tree(s3, args):
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


def put_tree(s3, args):
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


def usage():
    doc = __doc__
    sys.stderr.write(doc[doc.index("usage:"):doc.index("Environment:")])
    sys.exit(2)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        usage()
    fn, lo, hi = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if not lo <= len(args) <= hi:
        usage()
    try:
        fn(client(), args)
    except ClientError as e:
        err = e.response.get("Error", {})
        sys.stderr.write("s3tool: %s: %s\n" % (err.get("Code", "?"), err.get("Message") or ""))
        sys.exit(1)
    except (BotoCoreError, OSError) as e:
        sys.stderr.write("s3tool: %s\n" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
