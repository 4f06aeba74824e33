#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An independent verifier of yima codes, written from yima-codes(5) alone.

It shares no code with lib/: only the Python standard library (hashlib for
BLAKE2b) and PyNaCl for Ed25519. SipHash-2-4, 64- and 128-bit, is written
out here from the man page's SIPHASH section, not taken from a library.
Its purpose is to prove that the man page specifies the format completely.

Usage:
  independent_verify.py [-p BRAND.pub]... [-k KEY]... [-l LEVEL] [-t TEMPLATE]
                        [--ledger FILE] [--duplicates] [--explain] [FILE...]
      -k takes a secret key (yima-secret-key) or a scoped key (yima-scoped-key).
      One code or payload per line (or OUTER<TAB>INNER for a pair); prints
      STATUS<TAB>CODE[<TAB>level<TAB>batch<TAB>index]; exit 0 if all OK, 1 if not.
  independent_verify.py --derive-id BRAND.pub
      prints the default key id derived from the public key.
  independent_verify.py -p BRAND.pub --manifest FILE.manifest [--data FILE]
      checks a gen manifest's signature, size and BLAKE2b.
  independent_verify.py --siphash KEYHEX MSGHEX {64,128}
      prints SipHash-2-4 of the message (hex), to compare with libsodium.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import zlib

import nacl.exceptions
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

ALPHA_BYTE = {"base32": 0, "digits": 1}
RADIX = {"base32": 32, "digits": 10}
KID_W = {"base32": 2, "digits": 3}
LEN_W = {"base32": 1, "digits": 2}
SIG_W = {"base32": 103, "digits": 155}
SERIAL_BOUNDS = {"base32": (8, 24), "digits": (12, 36)}
MAC_BOUNDS = {"base32": (8, 25), "digits": (13, 38)}
LEVELS = ["item", "case", "pallet"]
AUTHS = ["none", "mac", "sig"]
HDR_INNER = 9
HDR2_BASE32 = 16  # CODE FORMATS: format 2 base32 hdr = 16 + hdr value
LEN2_DIGITS = 50  # CODE FORMATS: format 2 digits len field = 50 + L
CODE_MAX = 255
GUESS_FACTOR = 10000
BATCH_SHIFT = 32

# Verdicts of one key, best first (VERIFICATION, "Several keys with one id").
RANK = {"OK": 0, "WRONG_LEVEL": 1, "OUT_OF_SCOPE": 3, "NEED_SECRET": 4}


def rank(status):
    return RANK.get(status, 2)


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
    return "".join((BASE32 if alpha == "base32" else "0123456789")[d] for d in vals)


# --- SIPHASH (the man page's SIPHASH section) -------------------------------
MASK64 = (1 << 64) - 1


def _rotl(v, n):
    return ((v << n) | (v >> (64 - n))) & MASK64


def siphash(key, msg, out_bytes):
    """SipHash-2-4 of msg under a 16-byte key; out_bytes 8 or 16."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v = [0x736F6D6570736575 ^ k0, 0x646F72616E646F6D ^ k1,
         0x6C7967656E657261 ^ k0, 0x7465646279746573 ^ k1]
    if out_bytes == 16:
        v[1] ^= 0xEE

    def sipround():
        v[0] = (v[0] + v[1]) & MASK64
        v[1] = _rotl(v[1], 13) ^ v[0]
        v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK64
        v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK64
        v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK64
        v[1] = _rotl(v[1], 17) ^ v[2]
        v[2] = _rotl(v[2], 32)

    whole = len(msg) - len(msg) % 8
    for i in range(0, whole, 8):
        m = int.from_bytes(msg[i:i + 8], "little")
        v[3] ^= m
        sipround()
        sipround()
        v[0] ^= m
    b = (len(msg) % 256) << 56 | int.from_bytes(msg[whole:], "little")
    v[3] ^= b
    sipround()
    sipround()
    v[0] ^= b
    v[2] ^= 0xEE if out_bytes == 16 else 0xFF
    for _ in range(4):
        sipround()
    out = (v[0] ^ v[1] ^ v[2] ^ v[3]).to_bytes(8, "little")
    if out_bytes == 16:
        v[1] ^= 0xDD
        for _ in range(4):
            sipround()
        out += (v[0] ^ v[1] ^ v[2] ^ v[3]).to_bytes(8, "little")
    return out


def siphash64_le(key, msg):
    return int.from_bytes(siphash(key, msg, 8), "little")


# --- KEYS -----------------------------------------------------------------
def kdf(master, subkey_id, length):
    """libsodium crypto_kdf_derive_from_key with context "yimakey1"."""
    return hashlib.blake2b(b"", digest_size=length, key=master,
                           salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=b"yimakey1" + bytes(8)).digest()


def batch_key_from_root(root, batch):
    return siphash(root, b"YIMA2B" + struct.pack("<I", batch), 16)


class Key:
    """kind: "secret" (the seed), "scoped" (perm, inner and batch keys) or "public"."""

    def __init__(self, kind, kid, public, seed=None, perm=None, inner=None, batches=None):
        self.kind, self.id, self.public, self.seed = kind, kid, public, seed
        self.perm_key, self.inner_key, self.batches = perm, inner, batches or {}
        if seed is not None:
            self.public = bytes(nacl.signing.SigningKey(kdf(seed, 1, 32)).verify_key)
            self.perm_key = kdf(seed, 2, 16)
            self.mac_key = kdf(seed, 3, 16)
            self.inner_key = kdf(seed, 4, 16)
            self.root = kdf(seed, 5, 16)

    def batch_key(self, batch):
        if self.kind == "secret":
            return batch_key_from_root(self.root, batch)
        return self.batches.get(batch)


def read_key_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("ascii")
    first, _, rest = data.partition("\n")
    return first, rest.split("\n")


def field(lines, name, path):
    for line in lines:
        if line.startswith(name + " "):
            return line[len(name) + 1:].rstrip("\r")
    raise ValueError("%s: no '%s' line" % (path, name))


def hex_field(lines, name, n, path):
    value = field(lines, name, path)
    if len(value) != 2 * n:
        raise ValueError("%s: '%s' needs %d hex digits" % (path, name, 2 * n))
    return bytes.fromhex(value)


def key_id(lines, path):
    kid = int(field(lines, "id", path), 10)
    if not 0 <= kid <= 999:
        raise ValueError("%s: key id out of range" % path)
    return kid


def load_public(path):
    first, lines = read_key_lines(path)
    if first != "yima-public-key 1":
        raise ValueError("%s: not a yima public key" % path)
    return Key("public", key_id(lines, path), hex_field(lines, "ed25519", 32, path))


def load_secret(path):
    """A secret (.key) or scoped key file, refused if group or others may read it."""
    if os.stat(path).st_mode & 0o077:
        raise ValueError("%s: key readable by group or others" % path)
    first, lines = read_key_lines(path)
    if first == "yima-secret-key 1":
        return Key("secret", key_id(lines, path), None, seed=hex_field(lines, "seed", 32, path))
    if first != "yima-scoped-key 1":
        raise ValueError("%s: not a yima secret or scoped key" % path)
    batches = {}
    for line in lines:
        if not line.startswith("batch "):
            continue
        parts = line.rstrip("\r").split(" ")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 32:
            raise ValueError("%s: bad batch line %r" % (path, line))
        b = int(parts[1], 10)
        if b >= 1 << 32 or b in batches:
            raise ValueError("%s: bad or repeated batch %d" % (path, b))
        batches[b] = bytes.fromhex(parts[2])
    if not 1 <= len(batches) <= 1024:
        raise ValueError("%s: a scoped key holds 1 to 1024 batches" % path)
    return Key("scoped", key_id(lines, path), hex_field(lines, "ed25519", 32, path),
               perm=hex_field(lines, "perm", 16, path),
               inner=hex_field(lines, "inner", 16, path), batches=batches)


def derive_id(public):
    h = hashlib.blake2b(public, digest_size=32).digest()
    return (h[0] << 8 | h[1]) % 1000


class Keyring:
    """Keys by id, tried secret first, then scoped, then public, each kind in
    the order given."""
    ORDER = {"secret": 0, "scoped": 1, "public": 2}

    def __init__(self):
        self.by_id = {}

    def add(self, key):
        chain = self.by_id.setdefault(key.id, [])
        chain.append(key)
        chain.sort(key=lambda k: self.ORDER[k.kind])  # stable: given order kept

    def find(self, kid):
        return self.by_id.get(kid, [])

    def any_key(self, kid):
        chain = self.find(kid)
        return chain[0] if chain else None


# --- SERIAL PERMUTATION ---------------------------------------------------
def tweak(fmt, inner, level, alpha, serial_len):
    return bytes([ord("Y"), inner, level, ALPHA_BYTE[alpha], serial_len, 2 if fmt == 2 else 0,
                  0, 0])


class Perm:
    def __init__(self, key, domain, tw):
        bits = (domain - 1).bit_length()
        self.h = 1 if bits < 2 else (bits + 1) // 2
        self.key, self.domain, self.tweak = key, domain, tw

    def f(self, rnd, half):
        return siphash64_le(self.key, self.tweak + bytes([rnd]) + half.to_bytes(8, "little")) & \
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


# --- PARSING --------------------------------------------------------------
class Info(dict):
    __getattr__ = dict.get


def read_marks(alpha, hdr, slen):
    """CODE FORMATS: (format, hdr value, L) or None if malformed."""
    fmt = 1
    if alpha == "base32" and hdr >= HDR2_BASE32:
        fmt, hdr = 2, hdr - HDR2_BASE32
    elif alpha == "digits" and slen >= LEN2_DIGITS:
        fmt, slen = 2, slen - LEN2_DIGITS
    lo, hi = SERIAL_BOUNDS[alpha]
    if hdr > HDR_INNER or not lo <= slen <= hi:
        return None
    return fmt, hdr, slen


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
    marks = read_marks(alpha, vals[kw], number(alpha, vals[kw + 1:kw + 1 + lw]))
    if kid > 999 or marks is None:
        return "MALFORMED", info
    fmt, hdr, slen = marks
    off = kw + 1 + lw
    tag = n - (off + slen + 1)
    if tag < 0:
        return "MALFORMED", info
    inner = hdr == HDR_INNER
    info.update(kid=kid, format=fmt, hdr=hdr, inner=inner, level=0 if inner else hdr % 3,
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


def tag_message(info):
    body = info.canon[:info.off + info.serial_len].encode("ascii")
    if info.format == 1:
        return b"YIMA1" + body
    return b"YIMA2" + bytes([ALPHA_BYTE[info.alphabet], info.serial_len, info.tag_len]) + body


def tag_values(info):
    start = info.off + info.serial_len
    return info.vals[start:start + info.tag_len]


# --- VERIFYING, one key (VERIFICATION step 5) --------------------------------
def check_signature(key, info):
    sig = number(info.alphabet, tag_values(info))
    if sig >= 1 << 512:
        return False
    info["signature"] = sig.to_bytes(64, "big")
    try:
        nacl.signing.VerifyKey(key.public).verify(info.message, info.signature)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def mac_ok(mac_key, info):
    info["mac_out"] = siphash(mac_key, info.message, 16)
    t = int.from_bytes(info.mac_out, "big")
    return number(info.alphabet, tag_values(info)) == t % RADIX[info.alphabet] ** info.tag_len


def decode_serial(key, info):
    """Serial -> y, then x (and c in format 2); False if outside capacity or batch range."""
    a = info.alphabet
    space = RADIX[a] ** info.serial_len
    tw = tweak(info.format, int(info.inner), info.level, a, info.serial_len)
    perm = Perm(key.inner_key if info.inner else key.perm_key, space, tw)
    y = perm.decrypt(number(a, info.vals[info.off:info.off + info.serial_len]))
    x, c = (y, 0) if info.format == 1 else divmod(y, GUESS_FACTOR)
    info.update(s=number(a, info.vals[info.off:info.off + info.serial_len]), y=y, x=x, c=c,
                tweak=tw)
    if x >= space // GUESS_FACTOR or x >> BATCH_SHIFT >= 1 << 32:
        return False
    info.update(batch=x >> BATCH_SHIFT, index=x & 0xFFFFFFFF, position=True)
    return True


def verify_format2(key, info, sig):
    if not decode_serial(key, info):
        return "BAD_SERIAL"
    if sig:
        return "OK" if info.c == 0 else "BAD_SERIAL"
    kb = key.batch_key(info.batch)
    if kb is None:
        return "OUT_OF_SCOPE"
    info["batch_key"] = kb
    if info.auth == "none":
        info["check_in"] = info.tweak + info.x.to_bytes(8, "little")
        info["check_out"] = siphash(kb, info.check_in, 8)
        info["check_value"] = int.from_bytes(info.check_out, "little") % GUESS_FACTOR
        return "OK" if info.c == info.check_value else "BAD_SERIAL"
    if not mac_ok(kb, info):
        return "BAD_MAC"
    return "OK" if info.c == 0 else "BAD_SERIAL"


def verify_with_key(key, info):
    sig = info.auth == "sig" and not info.inner
    info["message"] = tag_message(info) if info.tag_len else None
    if sig and not check_signature(key, info):
        return "BAD_SIGNATURE"
    if key.kind == "public":
        return "OK" if sig else "NEED_SECRET"
    if info.format == 1:
        if key.kind == "scoped":
            return "OK" if sig else "NEED_SECRET"
        if info.auth == "mac" and not mac_ok(key.mac_key, info):
            return "BAD_MAC"
        return "OK" if decode_serial(key, info) else "BAD_SERIAL"
    return verify_format2(key, info, sig)


# --- VERIFYING, all keys --------------------------------------------------
def verify_as(ring, alpha, text, want_level):
    st, parsed = parse_as(alpha, text)
    if st != "OK":
        return st, parsed
    chain = ring.find(parsed.kid)
    if not chain:
        return "UNKNOWN_KEY", parsed
    best, best_info = None, parsed
    for key in chain:
        info = Info(parsed)
        info["key"] = key
        st = verify_with_key(key, info)
        if st == "OK" and want_level is not None and info.level != want_level:
            st = "WRONG_LEVEL"
        if best is None or rank(st) < rank(best):
            best, best_info = st, info
        if st == "OK":
            break
    return best, best_info


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
    if (oi.inner or not ii.inner or oi.kid != ii.kid or oi.format != ii.format
            or (oi.batch, oi.index) != (ii.batch, ii.index)):
        return "PAIR_MISMATCH", oi
    return "OK", oi


def identity(info):
    """VERIFICATION, Identity: one code whatever its spelling."""
    base = (info.key.public, bool(info.inner), info.level)
    if info.position:
        return base + ("P", info.batch, info.index)
    return base + ("S", info.format, info.alphabet, info.serial_len, info.s if info.s is not None
                   else number(info.alphabet, info.vals[info.off:info.off + info.serial_len]))


# --- CODES IN PAYLOADS (the man page's CODES IN PAYLOADS AND FILES) ---------
def is_alnum(c):
    return "0" <= c <= "9" or "a" <= c <= "z" or "A" <= c <= "Z"


def find_code(payload, template=None):
    """The code in a payload, or None if there is none."""
    if template is not None:
        before, after = template.split("{code}", 1)
        if len(payload) < len(before) + len(after) or \
                payload[:len(before)].lower() != before.lower() or \
                not payload.endswith(after):
            return None
        return payload[len(before):len(payload) - len(after)]
    if payload and all(is_alnum(c) for c in payload):
        return payload
    start = 0
    scheme = payload.find("://")
    if scheme >= 0:
        slash = payload.find("/", scheme + 3)
        start = slash if slash >= 0 else len(payload)
    best, i = "", start
    while i < len(payload):
        j = i
        while j < len(payload) and is_alnum(payload[j]):
            j += 1
        if j - i > len(best):
            best = payload[i:j]
        i = j if j > i else i + 1
    return best or None


# --- LEDGER (yima-gen(1), "Ledger") -------------------------------------------
def load_ledger(path):
    """Every reserved (batch, level, start, end), finished or not; format 1 or 2."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    version = {b"yima-ledger 1": 1, b"yima-ledger 2": 2}.get(lines[0])
    if version is None or lines[-1] != b"":
        raise ValueError("%s: not a yima ledger, or torn" % path)
    ranges = []
    for n, line in enumerate(lines[1:-1], 2):
        if not line:
            continue
        if version == 2:
            line, _, crc = line.rpartition(b" *")
            if "%08x" % zlib.crc32(line) != crc.decode("ascii", "replace"):
                raise ValueError("%s:%d: checksum mismatch" % (path, n))
        parts = line.decode("ascii", "replace").split(" ")
        if parts[0] == "R" and len(parts) >= 8:
            batch, level, start, count = (int(p, 10) for p in parts[2:6])
            ranges.append((batch, level, start, start + count))
        elif parts[0] != "D" or len(parts) != 2:
            raise ValueError("%s:%d: unparsable" % (path, n))
    return ranges


def issued(ranges, info):
    level = 0 if info.inner else info.level
    return any(b == info.batch and lv == level and lo <= info.index < hi
               for b, lv, lo, hi in ranges)


def explain(text, info, out):
    kw = KID_W[info.alphabet]
    off, sl, tl = info.off, info.serial_len, info.tag_len
    parts = [("kid", text[:kw], str(info.kid)), ("hdr", text[kw], str(info.hdr)),
             ("len", text[kw + 1:off], str(sl)), ("serial", text[off:off + sl], ""),
             ("tag", text[off + sl:off + sl + tl], ""), ("check", text[-1], "")]
    out.write("  format %d\n" % info.format)
    for name, chars, val in parts:
        out.write("  %-6s %s %s\n" % (name, chars, val))
    if info.message:
        out.write("  message %s\n" % info.message.hex())
    if info.signature:
        out.write("  signature %s\n" % info.signature.hex())
    if info.y is not None:
        out.write("  s = %d\n" % info.s)
        out.write("  y = %d: x = %d, c = %d\n" % (info.y, info.x, info.c))
    if info.position:
        out.write("  batch %d index %d\n" % (info.batch, info.index))
    if info.batch_key:
        out.write("  K_b %s\n" % info.batch_key.hex())
    if info.mac_out:
        out.write("  siphash128 %s\n" % info.mac_out.hex())
    if info.check_value is not None:
        out.write("  check-value %s -> %s: %d\n" % (info.check_in.hex(), info.check_out.hex(),
                                                  info.check_value))


# --- MANIFEST -------------------------------------------------------------
def check_manifest(ring, path, data):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    if m.get("yima_manifest") != 1:
        return "not a version 1 manifest"
    key = ring.any_key(m.get("key_id"))
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


def check_line(ring, line, want, template):
    """One input line -> (status, code shown, info)."""
    line = line.rstrip("\r ")
    if "\t" in line:
        outer, inner = line.split("\t", 1)
        st, info = verify_pair(ring, outer, inner)
        return st, line, info
    code = find_code(line, template)
    if code is None:
        return "MALFORMED", line, Info()
    st, info = verify(ring, code, want)
    return st, code, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--pub", action="append", default=[])
    ap.add_argument("-k", "--key", action="append", default=[])
    ap.add_argument("-l", "--level", choices=LEVELS)
    ap.add_argument("-t", "--template")
    ap.add_argument("--ledger")
    ap.add_argument("--duplicates", action="store_true")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--derive-id")
    ap.add_argument("--manifest")
    ap.add_argument("--data")
    ap.add_argument("--siphash", nargs=3, metavar=("KEYHEX", "MSGHEX", "BITS"))
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    if args.siphash:
        k, m, bits = args.siphash
        print(siphash(bytes.fromhex(k), bytes.fromhex(m), int(bits) // 8).hex())
        return 0
    if args.derive_id:
        print(derive_id(load_public(args.derive_id).public))
        return 0
    ring = Keyring()
    for p in args.pub:
        ring.add(load_public(p))
    for p in args.key:
        ring.add(load_secret(p))
    if args.manifest:
        why = check_manifest(ring, args.manifest, args.data)
        print("MANIFEST %s" % ("OK" if why is None else "BAD: " + why))
        return 0 if why is None else 1
    want = LEVELS.index(args.level) if args.level else None
    ledger = load_ledger(args.ledger) if args.ledger else None
    seen = set()
    bad = 0
    streams = [open(f, encoding="ascii") for f in args.files] or [sys.stdin]
    for stream in streams:
        for line in stream:
            st, shown, info = check_line(ring, line.rstrip("\n"), want, args.template)
            if st == "OK" and ledger is not None and info.position and \
                    not issued(ledger, info):
                st = "NOT_ISSUED"
            if st == "OK" and args.duplicates:
                ident = identity(info)
                st = "DUPLICATE" if ident in seen else st
                seen.add(ident)
            bad += st != "OK"
            extra = ""
            if info.position:
                extra = "\t%s\t%d\t%d" % (LEVELS[info.level], info.batch, info.index)
            sys.stdout.write("%s\t%s%s\n" % (st, shown, extra))
            if args.explain and info.kid is not None:
                explain(shown.split("\t")[0], info, sys.stdout)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
