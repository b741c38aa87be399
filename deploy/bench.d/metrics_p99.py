#!/usr/bin/env python3
"""Server-side p99 of one route between two scrapes of Loket's /metrics (histogram loket_http_request_duration_seconds).

    metrics_p99.py BEFORE AFTER ROUTE   → e.g. "≤ 10 ms" (the bucket's upper bound), or "–" without requests

The histogram has coarse buckets, so this is a bound, not a value; it excludes time queued in the kernel and in
wrk, which wrk's own p99 includes.
"""
import re
import sys

LINE = re.compile(r'^loket_http_request_duration_seconds_bucket\{route="((?:[^"\\]|\\.)*)",le="([^"]+)"\} (\S+)$')


def buckets(path, route):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line.strip())
            if m and m.group(1) == route:
                out[m.group(2)] = float(m.group(3))
    return out


def main():
    before_path, after_path, route = sys.argv[1:4]
    before, after = buckets(before_path, route), buckets(after_path, route)
    if not after:
        print("–")
        return
    delta = {le: after[le] - before.get(le, 0.0) for le in after}
    total = delta.get("+Inf", 0.0)
    if total <= 0:
        print("–")
        return
    for le in sorted((le for le in delta if le != "+Inf"), key=float):
        if delta[le] >= 0.99 * total:
            ms = float(le) * 1000
            print(f"≤ {ms:g} ms")
            return
    print("> 10 s")


if __name__ == "__main__":
    main()
