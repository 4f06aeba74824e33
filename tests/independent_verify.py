#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An independent verifier of yima codes, written from yima-codes(5) alone.

It shares no code with lib/: only the Python standard library (hashlib for
BLAKE2b) and PyNaCl (Ed25519 and SipHash, as any standard library offers).
Its purpose is to prove that the man page specifies the format completely.

Usage:
  independent_verify.py -p BRAND.pub [-k BRAND.key] [-l LEVEL] [--explain] [FILE...]
      one code per line (or OUTER<TAB>INNER for a pair); prints
      STATUS<TAB>CODE[<TAB>level<TAB>batch<TAB>index]; exit 0 if all OK, 1 if not.
  independent_verify.py --derive-id BRAND.pub
      prints the default key id derived from the public key.
  independent_verify.py -p BRAND.pub --manifest FILE.manifest [--data FILE]
      checks a gen manifest's signature, size and BLAKE2b.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.signing

# --- ALPHABETS ------------------------------------------------------------
BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
B32_VALUE = {}
for _i, _c in enumerate(BASE32):
    B32_VALUE[_c] = _i
    B32_VALUE[_c.lower()] = _i
for _c in "Oo":
    B32_VALUE[_c] = 0
for _c in "IiLl":
    B32_VALUE[_c] = 1

RADIX = {"base32": 32, "digits": 10}
KID_W = {"base32": 2, "digits": 3}
LEN_W = {"base32": 1, "digits": 2}
SIG_W = {"base32": 103, "digits": 155}
SERIAL_BOUNDS = {"base32": (8, 24), "digits": (12, 36)}
MAC_BOUNDS = {"base32": (8, 25), "digits": (13, 38)}
LEVELS = ["item", "case", "pallet"]
AUTHS = ["none", "mac", "sig"]
HDR_INNER = 9
CODE_MAX = 255
GUESS_FACTOR = 10000
BATCH_SHIFT = 32

# --- CHECK CHARACTER (Damm) -----------------------------------------------
DAMM10 = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
]


def gf32_double(v):
    v <<= 1
    return v ^ 0b100101 if v & 0b100000 else v


def damm_interim(alpha, vals):
    interim = 0
    for d in vals:
        interim = DAMM10[interim][d] if alpha == "digits" else gf32_double(interim) ^ d
    return interim


def damm_check_value(alpha, vals):
    interim = damm_interim(alpha, vals)
    return interim if alpha == "digits" else gf32_double(interim)


def char_values(alpha, text):
    if alpha == "digits":
        return [ord(c) - 48 for c in text] if all("0" <= c <= "9" for c in text) else None
    try:
        return [B32_VALUE[c] for c in text]
    except KeyError:
        return None


def number(alpha, vals):
    v = 0
    for d in vals:
        v = v * RADIX[alpha] + d
    return v


def write_number(alpha, value, width):
    chars = BASE32 if alpha == "base32" else "0123456789"
    out = []
    for _ in range(width):
        out.append(chars[value % RADIX[alpha]])
        value //= RADIX[alpha]
    return "".join(reversed(out))


def canonical(alpha, vals):
    return write_number(alpha, number(alpha, vals), len(vals)) if vals else ""


# --- KEYS -----------------------------------------------------------------
def read_key_file(path, magic):
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != magic:
        raise ValueError("%s: first line is not %r" % (path, magic))
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(" ")
        fields[name] = value
    kid = int(fields["id"])
    if not 0 <= kid <= 999:
        raise ValueError("%s: key id out of range" % path)
    return kid, fields


def kdf(master, subkey_id, length):
    """libsodium crypto_kdf_derive_from_key with context "yimakey1"."""
    return hashlib.blake2b(b"", digest_size=length, key=master,
                           salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=b"yimakey1" + bytes(8)).digest()


class Key:
    def __init__(self, kid, public, seed=None):
        self.id, self.public, self.seed = kid, public, seed
        if seed is not None:
            sk = nacl.signing.SigningKey(kdf(seed, 1, 32))
            if public is not None and bytes(sk.verify_key) != public:
                raise ValueError("secret key does not match the public key")
            self.public = bytes(sk.verify_key)
            self.perm_key = kdf(seed, 2, 16)
            self.mac_key = kdf(seed, 3, 16)
            self.inner_key = kdf(seed, 4, 16)


def load_public(path):
    kid, f = read_key_file(path, "yima-public-key 1")
    return Key(kid, bytes.fromhex(f["ed25519"]))


def load_secret(path):
    if os.stat(path).st_mode & 0o077:
        raise ValueError("%s: secret key readable by group or others" % path)
    kid, f = read_key_file(path, "yima-secret-key 1")
    return Key(kid, None, bytes.fromhex(f["seed"]))


def derive_id(public):
    h = hashlib.blake2b(public, digest_size=32).digest()
    return (h[0] << 8 | h[1]) % 1000


# --- SERIAL PERMUTATION ---------------------------------------------------
def siphash64(key, msg):
    return int.from_bytes(nacl.hash.siphash24(msg, key=key, encoder=nacl.encoding.RawEncoder),
                          "little")


class Perm:
    def __init__(self, key, domain, inner, level, alpha, serial_len):
        bits = (domain - 1).bit_length()
        self.h = 1 if bits < 2 else (bits + 1) // 2
        self.key, self.domain = key, domain
        self.tweak = bytes([ord("Y"), inner, level, 0 if alpha == "base32" else 1, serial_len,
                            0, 0, 0])

    def f(self, rnd, half):
        return siphash64(self.key, self.tweak + bytes([rnd]) + half.to_bytes(8, "little")) & \
            ((1 << self.h) - 1)

    def forward(self, x):
        mask = (1 << self.h) - 1
        left, right = x >> self.h, x & mask
        for r in range(8):
            left, right = right, left ^ self.f(r, right)
        return left << self.h | right

    def backward(self, y):
        mask = (1 << self.h) - 1
        left, right = y >> self.h, y & mask
        for r in reversed(range(8)):
            left, right = right ^ self.f(r, left), left
        return left << self.h | right

    def encrypt(self, x):
        x = self.forward(x)
        while x >= self.domain:
            x = self.forward(x)
        return x

    def decrypt(self, y):
        y = self.backward(y)
        while y >= self.domain:
            y = self.backward(y)
        return y


# --- PARSING AND VERIFYING ------------------------------------------------
class Info(dict):
    __getattr__ = dict.get


def parse_as(alpha, text):
    info = Info(alphabet=alpha)
    kw, lw = KID_W[alpha], LEN_W[alpha]
    n = len(text)
    if n < kw + 1 + lw + 1 or n > CODE_MAX:
        return "MALFORMED", info
    vals = char_values(alpha, text)
    if vals is None:
        return "MALFORMED", info
    if damm_interim(alpha, vals) != 0:
        return "BAD_CHECK", info
    kid = number(alpha, vals[:kw])
    hdr = vals[kw]
    slen = number(alpha, vals[kw + 1:kw + 1 + lw])
    lo, hi = SERIAL_BOUNDS[alpha]
    if kid > 999 or hdr > HDR_INNER or not lo <= slen <= hi:
        return "MALFORMED", info
    off = kw + 1 + lw
    tag = n - (off + slen + 1)
    if tag < 0:
        return "MALFORMED", info
    inner = hdr == HDR_INNER
    info.update(kid=kid, hdr=hdr, inner=inner, level=0 if inner else hdr % 3,
                auth="mac" if inner else AUTHS[hdr // 3], serial_len=slen, tag_len=tag,
                off=off, vals=vals, canon=canonical(alpha, vals))
    lo, hi = MAC_BOUNDS[alpha]
    if info.auth == "mac":
        ok = lo <= tag <= hi
    elif info.auth == "sig":
        ok = tag == SIG_W[alpha]
    else:
        ok = tag == 0
    return ("OK" if ok else "MALFORMED"), info


def verify_as(ring, alpha, text, want_level):
    st, info = parse_as(alpha, text)
    if st != "OK":
        return st, info
    key = ring.get(info.kid)
    if key is None:
        return "UNKNOWN_KEY", info
    body_len = info.off + info.serial_len
    body = info.canon[:body_len]
    tag_vals = info.vals[body_len:body_len + info.tag_len]
    msg = b"YIMA1" + body.encode("ascii")
    info["message"] = msg
    if info.auth == "sig":
        sig = number(alpha, tag_vals)
        if sig >= 1 << 512:
            return "BAD_SIGNATURE", info
        info["signature"] = sig.to_bytes(64, "big")
        try:
            nacl.signing.VerifyKey(key.public).verify(msg, info.signature)
        except nacl.exceptions.BadSignatureError:
            return "BAD_SIGNATURE", info
    elif key.seed is None:
        return "NEED_SECRET", info
    elif info.auth == "mac":
        mac = nacl.hash.siphashx24(msg, key=key.mac_key, encoder=nacl.encoding.RawEncoder)
        want = int.from_bytes(mac, "big") % RADIX[alpha] ** info.tag_len
        if number(alpha, tag_vals) != want:
            return "BAD_MAC", info
    if key.seed is not None:
        space = RADIX[alpha] ** info.serial_len
        perm = Perm(key.inner_key if info.inner else key.perm_key, space, int(info.inner),
                    info.level, alpha, info.serial_len)
        serial = number(alpha, info.vals[info.off:body_len])
        x = perm.decrypt(serial)
        if x >= space // GUESS_FACTOR:
            return "BAD_SERIAL", info
        info.update(x=x, batch=x >> BATCH_SHIFT, index=x & 0xFFFFFFFF, position=True)
    if want_level is not None and info.level != want_level:
        return "WRONG_LEVEL", info
    return "OK", info


def detect(text):
    return "digits" if text and all("0" <= c <= "9" for c in text) else "base32"


def verify(ring, text, want_level=None):
    if detect(text) == "base32":
        return verify_as(ring, "base32", text, want_level)
    st, info = verify_as(ring, "digits", text, want_level)
    if st != "OK":
        st2, info2 = verify_as(ring, "base32", text, want_level)
        if st2 == "OK":
            return st2, info2
    return st, info


def verify_pair(ring, outer, inner):
    st, oi = verify(ring, outer, 0)
    if st != "OK":
        return st, oi
    st, ii = verify(ring, inner)
    if st != "OK":
        return st, ii
    if not oi.position or not ii.position:
        return "NEED_SECRET", oi
    if oi.inner or not ii.inner or oi.kid != ii.kid or (oi.batch, oi.index) != (ii.batch, ii.index):
        return "PAIR_MISMATCH", oi
    return "OK", oi


def explain(text, info, out):
    a = info.alphabet
    kw, lw = KID_W[a], LEN_W[a]
    off, sl, tl = info.off, info.serial_len, info.tag_len
    parts = [("kid", text[:kw], str(info.kid)), ("hdr", text[kw], str(info.hdr)),
             ("len", text[kw + 1:off], str(sl)), ("serial", text[off:off + sl], ""),
             ("tag", text[off + sl:off + sl + tl], ""), ("check", text[-1], "")]
    for name, chars, val in parts:
        out.write("  %-6s %s %s\n" % (name, chars, val))
    if info.message:
        out.write("  message %s\n" % info.message.decode())
    if info.signature:
        out.write("  signature %s\n" % info.signature.hex())
    if info.position:
        out.write("  x %d batch %d index %d\n" % (info.x, info.batch, info.index))


# --- MANIFEST -------------------------------------------------------------
def check_manifest(ring, path, data):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    if m.get("yima_manifest") != 1:
        return "not a version 1 manifest"
    key = ring.get(m.get("key_id"))
    if key is None:
        return "key id %s not loaded" % m.get("key_id")
    body = {k: v for k, v in m.items() if k != "signature"}
    text = b"yima-manifest-1\n" + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                             ensure_ascii=False).encode("utf-8")
    try:
        nacl.signing.VerifyKey(key.public).verify(text, bytes.fromhex(m["signature"]))
    except (nacl.exceptions.BadSignatureError, ValueError, KeyError):
        return "signature does not verify"
    data = data or os.path.join(os.path.dirname(path), m["file"])
    with open(data, "rb") as f:
        blob = f.read()
    if len(blob) != m["bytes"]:
        return "size differs"
    if hashlib.blake2b(blob, digest_size=32).hexdigest() != m["blake2b"]:
        return "BLAKE2b differs"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--pub", action="append", default=[])
    ap.add_argument("-k", "--key", action="append", default=[])
    ap.add_argument("-l", "--level", choices=LEVELS)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--derive-id")
    ap.add_argument("--manifest")
    ap.add_argument("--data")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    if args.derive_id:
        print(derive_id(load_public(args.derive_id).public))
        return 0
    ring = {}
    for p in args.pub:
        k = load_public(p)
        ring[k.id] = k
    for p in args.key:
        k = load_secret(p)
        if k.id in ring and ring[k.id].public != k.public:
            raise SystemExit("two keys share id %d" % k.id)
        ring[k.id] = k
    if args.manifest:
        why = check_manifest(ring, args.manifest, args.data)
        print("MANIFEST %s" % ("OK" if why is None else "BAD: " + why))
        return 0 if why is None else 1
    want = LEVELS.index(args.level) if args.level else None
    bad = 0
    streams = [open(f, encoding="ascii") for f in args.files] or [sys.stdin]
    for stream in streams:
        for line in stream:
            line = line.rstrip("\n")
            if not line:
                continue
            if "\t" in line:
                outer, inner = line.split("\t", 1)
                st, info = verify_pair(ring, outer, inner)
            else:
                st, info = verify(ring, line, want)
            bad += st != "OK"
            extra = ""
            if info.position:
                extra = "\t%s\t%d\t%d" % (LEVELS[info.level], info.batch, info.index)
            sys.stdout.write("%s\t%s%s\n" % (st, line, extra))
            if args.explain and info.kid is not None:
                explain(line.split("\t")[0], info, sys.stdout)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
