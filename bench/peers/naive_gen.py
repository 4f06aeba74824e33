#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Naive reference generator: the baseline for `yima gen --auth mac`.

What a careful developer would write in an afternoon, with no tuning tricks
and nothing made slow on purpose:

  * a random 70-bit serial per code from the operating system's CSPRNG
    (secrets.randbits; --rng random uses the faster, predictable Mersenne
    Twister instead),
  * a Python set of the serials, to drop duplicates,
  * an HMAC-SHA256 tag over "YIMA1" + serial, cut to 40 bits
    (hmac.digest, the one-shot C path),
  * Crockford base32 text: 14 serial + 8 tag characters, one code a line,
    written to a buffered file.

It does less than yima (no key id, header or check character, no manifest,
no fsync), so the comparison favours the peer.

usage: naive_gen.py COUNT OUTPUT [--rng secrets|random]
"""
import argparse
import base64
import hmac
import random
import secrets
import sys

SERIAL_BITS = 70
RFC4648 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TO_CROCKFORD = bytes.maketrans(RFC4648, CROCKFORD)


def generate(count, path, randbits):
    key = secrets.token_bytes(32)
    seen = set()
    b32 = base64.b32encode
    digest = hmac.digest
    with open(path, "wb", buffering=1 << 20) as out:
        while len(seen) < count:
            x = randbits(SERIAL_BITS)
            if x in seen:
                continue
            seen.add(x)
            # 80 bits give 16 base32 characters; the first two are the zero padding.
            serial = b32(x.to_bytes(10, "big"))[2:]
            tag = b32(digest(key, b"YIMA1" + serial, "sha256")[:5])
            out.write((serial + tag).translate(TO_CROCKFORD) + b"\n")


def main():
    ap = argparse.ArgumentParser(description="naive random-serial HMAC code generator")
    ap.add_argument("count", type=int)
    ap.add_argument("output")
    ap.add_argument("--rng", choices=("secrets", "random"), default="secrets")
    args = ap.parse_args()
    if args.count < 1:
        ap.error("count must be at least 1")
    randbits = secrets.randbits if args.rng == "secrets" else random.getrandbits
    generate(args.count, args.output, randbits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
