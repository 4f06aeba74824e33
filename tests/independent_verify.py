#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An independent verifier of yima codes, written from yima-codes(5) alone.

It shares no code with lib/: only the Python standard library (hashlib for
BLAKE2b) and PyNaCl for Ed25519. SipHash-2-4, 64- and 128-bit, is written
out here from the man page's SIPHASH section, not taken from a library.
Its purpose is to prove that the man page specifies the format completely.
GS1 mode (the page's GS1 MODE) is read from the page and GS1's public Barcode
Syntax Dictionary only: a line may be an HRI element string "(01)...", RAW
(with GS separators, after ]d2/]Q3/]C1/]e0/]J1 or a GS) or a Digital Link URI.

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
import base64
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
    return verify_over_keys(ring, parsed, want_level, verify_with_key)


def verify_over_keys(ring, parsed, want_level, verify_one):
    """Every key with the code's id, best verdict first (VERIFICATION)."""
    chain = ring.find(parsed.kid)
    if not chain:
        return "UNKNOWN_KEY", parsed
    best, best_info = None, parsed
    for key in chain:
        info = Info(parsed)
        info["key"] = key
        st = verify_one(key, info)
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
    if info.gs1:
        return gs1_identity(info)
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


# --- GS1 MODE (the man page's GS1 MODE section) -----------------------------
# GS1's own rules (AI formats, check digits, dates, pairings, Digital Link
# path order) come from the public GS1 Barcode Syntax Dictionary; this table
# holds the entries of the AIs yima writes and a few common neighbours.
# Each: (predefined length, spec, linter, DL data attribute, req, ex, DL key).
GS = "\x1d"
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                   "abcdefghijklmnopqrstuvwxyz")
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CSET64 = frozenset(B64URL + "=")
_TRADE = "01,02,03,8006,8026"
GS1_AIS = {
    "00": (True, ("N", 18, True), "csum", True, "", "", [[]]),
    "01": (True, ("N", 14, True), "csum", True, "", "255,37", [["22", "10", "21"], ["235"]]),
    "02": (True, ("N", 14, True), "csum", True, "37", "01,03", None),
    "10": (False, ("X", 20, False), None, True, _TRADE, "", None),
    "11": (True, ("N", 6, True), "yymmd0", True, _TRADE, "", None),
    "13": (True, ("N", 6, True), "yymmd0", True, _TRADE, "", None),
    "15": (True, ("N", 6, True), "yymmd0", True, _TRADE, "", None),
    "16": (True, ("N", 6, True), "yymmd0", True, _TRADE, "", None),
    "17": (True, ("N", 6, True), "yymmd0", True, _TRADE + ",255", "", None),
    "20": (True, ("N", 2, True), None, True, _TRADE, "", None),
    "21": (False, ("X", 20, False), None, False, "01,03,8006", "235", None),
    "22": (False, ("X", 20, False), None, False, "01", "", None),
    "235": (False, ("X", 28, False), None, False, "01", "", None),
    "240": (False, ("X", 30, False), None, True, _TRADE, "", None),
    "241": (False, ("X", 30, False), None, True, _TRADE, "", None),
    "250": (False, ("X", 30, False), None, True, "01+21,03+21,8006+21", "", None),
    "251": (False, ("X", 30, False), None, True, "01,03,8006", "", None),
    "30": (False, ("N", 8, False), None, True, "01,02", "", None),
    "37": (False, ("N", 8, False), None, True, "00+02,00+8026", "", None),
    "8030": (False, ("Z", 90, False), None, True,
             "00,01+21,03+21,253,255,8003,8004,8006+21,8010+8011,8017,8018", "", None),
}
for _ai in range(91, 100):
    GS1_AIS[str(_ai)] = (False, ("X", 90, False), None, True, "", "", None)
# Symbology identifiers that announce GS1 element strings (GS1-128, DataBar,
# GS1 DataMatrix, GS1 QR Code, GS1 DotCode).
GS1_SYMBOLOGIES = ("C1", "e0", "d2", "Q3", "J1")
GS1_HDR_VERSION = 2
GS1_SERIAL_BOUNDS = (8, 15)
GS1_HDR_AUTH = 26  # AI 21 hdr = 26 + auth
GS1_MAC_BOUNDS = (7, 21)
GS1_SIG_LEN = 90


class Gs1Fault(Exception):
    def __init__(self, status, why):
        Exception.__init__(self, why)
        self.status = status


def gs1_check_digit(digits):
    """GS1 mod 10 over the digits before the check digit (weights 3, 1 from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gs1_date_ok(v, day00):
    month, day = int(v[2:4]), int(v[4:6])
    days = [31, 29 if int(v[:2]) % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and (day00 and day == 0 or 1 <= day <= days[month - 1])


def gs1_check_value(ai, value):
    _, (kind, width, fixed), linter, _, _, _, _ = GS1_AIS[ai]
    if not value:
        raise Gs1Fault("MALFORMED", "AI (%s): empty value" % ai)
    if len(value) > width or fixed and len(value) != width:
        raise Gs1Fault("MALFORMED", "AI (%s): %d characters" % (ai, len(value)))
    charset = {"N": frozenset("0123456789"), "X": CSET82, "Z": CSET64}[kind]
    if any(c not in charset for c in value):
        raise Gs1Fault("MALFORMED", "AI (%s): character outside its set" % ai)
    if linter == "csum" and gs1_check_digit(value[:-1]) != int(value[-1]):
        raise Gs1Fault("BAD_CHECK", "AI (%s): check digit" % ai)
    if linter == "yymmd0" and not gs1_date_ok(value, True):
        raise Gs1Fault("MALFORMED", "AI (%s): not a date" % ai)


def gs1_add(elems, ai, value):
    """Validate one element; a repeated AI must repeat its value."""
    if ai not in GS1_AIS:
        raise Gs1Fault("MALFORMED", "AI (%s) unknown" % ai)
    gs1_check_value(ai, value)
    if ai in elems and elems[ai] != value:
        raise Gs1Fault("MALFORMED", "AI (%s) twice with different values" % ai)
    elems[ai] = value


def gs1_pairings(elems):
    for ai in elems:
        req, ex = GS1_AIS[ai][4], GS1_AIS[ai][5]
        if req and not any(all(a in elems for a in alt.split("+")) for alt in req.split(",")):
            raise Gs1Fault("MALFORMED", "AI (%s) requires one of %s" % (ai, req))
        if ex and any(a in elems for a in ex.split(",") if a != ai):
            raise Gs1Fault("MALFORMED", "AI (%s) excludes %s" % (ai, ex))


def gs1_match_ai(text, i):
    for n in (2, 3, 4):
        if text[i:i + n] in GS1_AIS and text[i:i + n].isdigit():
            return text[i:i + n]
    return None


def gs1_parse_raw(text):
    """RAW (after FNC1): predefined-length values end by length, others at GS or the end."""
    elems, i = {}, 0
    while i < len(text):
        ai = gs1_match_ai(text, i)
        if ai is None:
            raise Gs1Fault("MALFORMED", "no GS1 AI at position %d" % i)
        i += len(ai)
        predefined, (_, width, _) = GS1_AIS[ai][0], GS1_AIS[ai][1]
        if predefined:
            value, i = text[i:i + width], i + width
            sep = i < len(text) and text[i] == GS
        else:
            j = text.find(GS, i)
            sep = j >= 0
            value, i = (text[i:j], j) if sep else (text[i:], len(text))
        gs1_add(elems, ai, value)
        i += sep  # a GS after the last value is tolerated, as scanners send it
    gs1_pairings(elems)
    return elems


def gs1_parse_hri(text):
    """HRI: every "(" opens an AI, so values hold no "(" of their own."""
    elems = {}
    for piece in text.split("(")[1:]:
        ai, close, value = piece.partition(")")
        if not close or ai not in GS1_AIS:
            raise Gs1Fault("MALFORMED", "expected an AI in parentheses")
        gs1_add(elems, ai, value)
    if text.split("(")[0]:
        raise Gs1Fault("MALFORMED", "text before the first AI")
    gs1_pairings(elems)
    return elems


def percent_decode(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "%":
            h = s[i + 1:i + 3]
            if len(h) != 2 or any(c not in "0123456789abcdefABCDEF" for c in h):
                return None
            out.append(chr(int(h, 16)))
            i += 3
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def gs1_dl_path(segs):
    """(primary key, [(ai, value)...]) from the path segments, or None."""
    for i, seg in enumerate(segs):
        if seg in GS1_AIS and GS1_AIS[seg][6] is not None and (len(segs) - i) % 2 == 0:
            pairs = list(zip(segs[i::2], segs[i + 1::2]))
            quals = [ai for ai, _ in pairs[1:]]
            for order in GS1_AIS[seg][6]:
                pos = [order.index(q) if q in order else -1 for q in quals]
                if -1 not in pos and pos == sorted(set(pos)) and len(pos) == len(set(pos)):
                    return pairs
            return None
    return None


def gs1_dl_names_key(url):
    """yima-codes(5), Which lines are GS1: an http(s) URL whose path names a
    GTIN or an SSCC is GS1 even when it is a faulty Digital Link."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    slash = rest.find("/")
    return slash >= 0 and ("/01/" in rest[slash:] or "/00/" in rest[slash:])


def gs1_dl_fault(url):
    """The status of a faulty Digital Link: BAD_CHECK for a check digit,
    else MALFORMED."""
    try:
        gs1_parse_dl(url, raise_faults=True)
    except Gs1Fault as fault:
        return fault.status
    return "MALFORMED"


def gs1_parse_dl(url, raise_faults=False):
    """A Digital Link URI's elements, or None if it is not one (any fault)."""
    low = url.lower()
    start = 8 if low.startswith("https://") else 7 if low.startswith("http://") else 0
    if not start:
        return None
    rest = url[start:].split("#", 1)[0]
    slash = rest.find("/")
    if slash < 0 or "?" in rest[:slash]:
        return None
    path, _, query = rest[slash + 1:].partition("?")
    pairs = gs1_dl_path(path.split("/"))
    if pairs is None:
        return None
    quals = [q for order in GS1_AIS[pairs[0][0]][6] for q in order]
    try:
        elems, seen = {}, set()
        for ai, value in pairs:
            value = percent_decode(value)
            if value is None:
                return None
            if ai == "01" and len(value) in (8, 12, 13):
                value = value.rjust(14, "0")  # GTIN-8, -12, -13 in a URI: padded
            seen.add(ai)
            gs1_add(elems, ai, value)
        for item in query.split("&"):
            key, eq, value = item.partition("=")
            if not eq or not key.isdigit():
                continue  # not an AI: other parameters are the resolver's
            value = percent_decode(value)
            if key in seen or key in quals or key not in GS1_AIS or not GS1_AIS[key][3] \
                    or value is None:
                return None  # twice, a qualifier of the key, or not a data attribute
            seen.add(key)
            gs1_add(elems, key, value)
        gs1_pairings(elems)
    except Gs1Fault:
        if raise_faults:
            raise
        return None
    return elems, [ai for ai, _ in pairs]


def b64url(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text, nbytes):
    """Canonical unpadded base64url of exactly nbytes, else None."""
    if len(text) != (nbytes * 8 + 5) // 6 or any(c not in B64URL for c in text):
        return None
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data if len(data) == nbytes and b64url(data) == text else None


def gs1_header(text):
    """The 24-bit header: (version, key id, level, g, zero bits), or None."""
    raw = b64url_decode(text, 3)
    if raw is None:
        return None
    v = int.from_bytes(raw, "big")
    return v >> 20, v >> 10 & 0x3FF, v >> 8 & 3, v >> 4 & 15, v & 15


def gs1_canonical(elems, primary, quals):
    """Digital Link order: primary key, qualifiers in path order, other AIs by
    AI number; no 8030 or 92; a GS after every variable-length value but the last."""
    rest = sorted((ai for ai in elems if ai not in [primary] + quals and ai not in ("8030", "92")),
                  key=int)
    out = []
    order = [primary] + quals + rest
    for n, ai in enumerate(order):
        out.append(ai + elems[ai])
        if not GS1_AIS[ai][0] and n + 1 < len(order):
            out.append(GS)
    return "".join(out)


def gs1_read(elems, path_quals=None):
    """The yima header and fields of a parsed element string -> (status, info);
    status "OK" means ready for the keys."""
    info = Info(gs1=True, elems=elems)
    tags = [ai for ai in ("8030", "92") if ai in elems]
    if not tags:
        return "UNKNOWN_KEY", info
    if len(tags) == 2:
        return "MALFORMED", info
    value = elems[tags[0]]
    hdr = gs1_header(value[:4])
    if hdr is None:
        return "MALFORMED", info
    ver, kid, level, g, zero = hdr
    if ver != GS1_HDR_VERSION or zero or kid > 999 or level > 2:
        return "MALFORMED", info
    info.update(header=value[:4], hdr_bits=hdr, kid=kid, level=level, g=g, tag_ai=tags[0],
                tag_text=value[4:])
    if level == 0:
        st = gs1_read_item(info, elems)
    else:
        st = gs1_read_sscc(info, elems)
    if st != "OK":
        return st, info
    n = len(info.tag_text)
    if info.auth == "sig":
        info["signature"] = b64url_decode(info.tag_text, 64)
        ok = tags[0] == "8030" and len(value) == GS1_SIG_LEN and info.signature is not None
    elif info.auth == "mac":
        ok = tags[0] == "92" and GS1_MAC_BOUNDS[0] <= n <= GS1_MAC_BOUNDS[1]
    else:
        ok = tags[0] == "92" and n == 0
    if not ok:
        return "MALFORMED", info
    if level == 0:
        quals = [q for q in (path_quals or ["22", "10", "21"]) if q in elems]
        info["canon"] = gs1_canonical(elems, "01", quals)
    else:
        info["canon"] = gs1_canonical(elems, "00", [])
    # msgG: the header's 4 characters, the tag length T as one byte, the canon
    info["message"] = (b"YIMA2G" + info.header.encode("ascii") + bytes([len(info.tag_text)]) +
                       info.canon.encode("latin-1"))
    return "OK", info


def gs1_read_item(info, elems):
    if "21" not in elems or "01" not in elems or not (info.g == 0 or 6 <= info.g <= 12):
        return "MALFORMED"
    s21 = elems["21"]
    if len(s21) < 5 or any(c not in BASE32 for c in s21):  # upper case, no aliases
        return "MALFORMED"
    vals = [BASE32.index(c) for c in s21]
    if damm_interim("base32", vals) != 0:
        return "BAD_CHECK"
    kid, hdr, slen = number("base32", vals[:2]), vals[2], vals[3]
    lo, hi = GS1_SERIAL_BOUNDS
    if hdr - GS1_HDR_AUTH not in (0, 1, 2) or not lo <= slen <= hi or len(s21) != 5 + slen \
            or kid != info.kid:
        return "MALFORMED"
    info.update(auth=AUTHS[hdr - GS1_HDR_AUTH], serial_len=slen, s=number("base32", vals[4:-1]),
                alphabet="base32")
    return "OK"


def gs1_read_sscc(info, elems):
    if "00" not in elems or not 7 <= info.g <= 11:
        return "MALFORMED"
    n = len(info.tag_text)
    info["auth"] = "sig" if info.tag_ai == "8030" else "mac" if n else "none"
    sscc = elems["00"]
    info.update(sscc=sscc, sscc_n=17 - info.g, s=int(sscc[0] + sscc[1 + info.g:17]))
    return "OK"


def gs1_tweak(info):
    if info.level == 0:
        return bytes([ord("Y"), 0, 0, 0, info.serial_len, ord("G"), 0, 0])
    return bytes([ord("Y"), 0, 1, 1, info.sscc_n, ord("S"), 0, 0])


def gs1_position(key, info):
    """Decode the serial or SSCC number; False if outside the capacity (BAD_SERIAL)."""
    tw = gs1_tweak(info)
    info["tweak"] = tw
    if info.level == 0:
        space = 32 ** info.serial_len
        y = Perm(key.perm_key, space, tw).decrypt(info.s)
        x, c = divmod(y, GUESS_FACTOR)
        info.update(y=y, x=x, c=c)
        if x >= space // GUESS_FACTOR or x >> BATCH_SHIFT >= 1 << 32:
            return False
        info.update(batch=x >> BATCH_SHIFT, index=x & 0xFFFFFFFF, position=True)
        return True
    n = info.sscc_n
    x = Perm(key.perm_key, 10 ** n, tw).decrypt(info.s)
    per_batch = 10 ** (n - 3)
    batch, r = divmod(x, per_batch)
    info.update(x=x, y=info.s, c=0)
    if 1 + (r & 1) != info.level:
        return False  # a case number under a pallet's header, or the reverse
    info.update(batch=batch, index=r >> 1, position=True)
    return True


def gs1_verify_with_key(key, info):
    if info.auth == "sig":
        try:
            nacl.signing.VerifyKey(key.public).verify(info.message, info.signature)
        except nacl.exceptions.BadSignatureError:
            return "BAD_SIGNATURE"
    if key.kind == "public":
        return "OK" if info.auth == "sig" else "NEED_SECRET"
    if not gs1_position(key, info):
        return "BAD_SERIAL"
    if info.auth == "sig":
        return "OK" if info.c == 0 else "BAD_SERIAL"
    kb = key.batch_key(info.batch)
    if kb is None:
        return "OUT_OF_SCOPE"
    info["batch_key"] = kb
    if info.auth == "mac":
        info["mac_out"] = siphash(kb, info.message, 16)
        if b64url(info.mac_out)[:len(info.tag_text)] != info.tag_text:
            return "BAD_MAC"
        return "OK" if info.c == 0 else "BAD_SERIAL"
    if info.level == 0:  # none item: the check value; none SSCCs carry none
        info["check_in"] = info.tweak + info.x.to_bytes(8, "little")
        info["check_out"] = siphash(kb, info.check_in, 8)
        info["check_value"] = int.from_bytes(info.check_out, "little") % GUESS_FACTOR
        return "OK" if info.c == info.check_value else "BAD_SERIAL"
    return "OK"


def gs1_verify(ring, elems, want_level, path_quals=None):
    st, parsed = gs1_read(elems, path_quals)
    if st != "OK":
        return st, parsed
    return verify_over_keys(ring, parsed, want_level, gs1_verify_with_key)


def gs1_reading(ring, line, want):
    """(status, info) if the line is a GS1 element string or Digital Link URI,
    None if it is to be read as a compact code (or payload)."""
    body, sym = line, None
    if line.startswith("]") and len(line) >= 3:
        sym, body = line[1:3], line[3:]
    if body[:8].lower() in ("https://",) or body[:7].lower() == "http://":
        dl = gs1_parse_dl(body)
        if dl is None and gs1_dl_names_key(body):
            return gs1_dl_fault(body), Info(gs1=True)
        if dl is None:  # a compact payload, unless a symbology identifier said GS1
            return None if sym is None else ("MALFORMED", Info(gs1=True))
        return gs1_verify(ring, dl[0], want, dl[1][1:])
    try:
        if sym is None and body.startswith("("):
            return gs1_verify(ring, gs1_parse_hri(body), want)
        if sym is not None:
            if sym not in GS1_SYMBOLOGIES:
                return "MALFORMED", Info(gs1=True)
            return gs1_verify(ring, gs1_parse_raw(body[1:] if body[:1] == GS else body), want)
        if GS in body:
            return gs1_verify(ring, gs1_parse_raw(body[1:] if body[:1] == GS else body), want)
    except Gs1Fault as fault:
        return fault.status, Info(gs1=True, why=str(fault))
    # Anything else is a compact code or payload first; RAW without GS (one
    # variable-length AI, last) is GS1 only where that fails and a header is read.
    code = find_code(line)
    if code is not None and verify(ring, code, want)[0] == "OK":
        return None
    try:
        gst, ginfo = gs1_verify(ring, gs1_parse_raw(body), want)
    except Gs1Fault:
        return None
    return (gst, ginfo) if ginfo.kid is not None else None


def shown(line):
    """A GS1 line as yima verify shows it: control bytes as \\xNN."""
    return "".join(c if " " <= c < "\x7f" else "\\x%02x" % ord(c) for c in line)


def gs1_identity(info):
    """GS1 MODE, Verification: an SGTIN is its GTIN and serial, an SSCC its digits."""
    if info.level == 0:
        return ("GS1", "01", info.elems["01"], info.elems["21"])
    return ("GS1", "00", info.elems["00"])


def gs1_explain(info, out):
    """The worked-example lines of GS1 MODE, in the page's words."""
    kid, lvl, g, w = info.kid, info.level, info.g, out.write
    if lvl == 0:
        s21 = info.elems["21"]
        w("  AI 21 %s %s %s %s %s kid %d, hdr %d (%s), L %d, check %s\n" % (
            s21[:2], s21[2], s21[3], s21[4:-1], s21[-1], kid, B32_VALUE[s21[2]], info.auth,
            info.serial_len, s21[-1]))
        if info.y is not None:
            w("  x = %d \u00d7 2^32 + %d = %d, c = %d,\n" % (info.batch if info.position else -1,
                                                       info.x & 0xFFFFFFFF, info.x, info.c))
            plus = " + %d" % info.c if info.c else ""
            w("  y = x \u00d7 10^4%s = %d, P(y) = 0x%x\n" % (plus, info.y, info.s))
        w("  header %s version %d, key %d, item, g = %d\n" % (info.header, info.hdr_bits[0], kid, g))
    elif info.position:
        sscc, n = info.sscc, info.sscc_n
        w("  x = %d \u00d7 10^%d + 2 \u00d7 %d%s = %d, P_S(x) = %d\n" % (
            info.batch, n - 3, info.index, " + 1" if lvl == 2 else "", info.x, info.y))
        w("  SSCC = %s | %s | %s | %s extension %s, reference %s\n" % (
            sscc[0], sscc[1:1 + g], sscc[1 + g:17], sscc[17], sscc[0], sscc[1 + g:17]))
    w("  canon %s\n" % info.canon.replace(GS, "<GS>"))
    w("  message %s\n" % info.message.hex())
    if info.position:
        w("  batch %d index %d\n" % (info.batch, info.index))
    if info.batch_key:
        w("  K_%d %s\n" % (info.batch, info.batch_key.hex()))
    if info.mac_out:
        full = b64url(info.mac_out)
        mac = "SipHash-128(K_%d, msgG) = %s" % (info.batch, info.mac_out.hex())
        if lvl == 0:
            w("  %s\n" % mac)
            w("  base64url %s, first %d: %s\n" % (full, len(info.tag_text), info.tag_text))
        else:
            w("  header %s: key %d, %s, g = %d; %s, base64url %s\n" % (
                info.header, kid, LEVELS[lvl], g, mac, info.tag_text))
    if info.check_value is not None:
        w("  check-value %d\n" % info.check_value)


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
    if template is None:
        found = gs1_reading(ring, line, want)
        if found is not None:
            return found[0], shown(line), found[1]
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
            st, text, info = check_line(ring, line.rstrip("\n"), want, args.template)
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
            sys.stdout.write("%s\t%s%s\n" % (st, text, extra))
            if args.explain and info.gs1 and info.canon is not None:
                gs1_explain(info, sys.stdout)
            elif args.explain and info.kid is not None:
                explain(text.split("\t")[0], info, sys.stdout)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
