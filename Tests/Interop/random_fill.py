"""A descriptor-driven random filler for protobuf messages, for the python→swift→python round trip.

It is biased towards what breaks encoders: zero and extreme numbers, empty/long/non-ASCII strings, unknown
enum numbers, and explicit presence (proto3 `optional` fields and oneof members set to their default value,
empty sub-messages that are present). Everything it builds must survive a round trip through a correct
encoder, so it avoids what the wire cannot carry faithfully or what equality cannot check:

- no NaN (NaN != NaN) and no infinities, and `float` fields only get values exactly representable as float32;
- no U+0000 in strings (protobuf-c keeps strings NUL-terminated; bytes fields do get NULs).

The same seed gives the same message (random.Random seeded with a string is stable across runs).
"""

from __future__ import annotations

import random
import struct
import sys

from google.protobuf.descriptor import FieldDescriptor as FD
from google.protobuf.message import Message

from proto_loader import Protos, is_map_entry

MAX_DEPTH = 3  # nested messages up to three levels below the top-level message
MAX_COUNT = 3  # elements of a repeated field or entries of a map

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

# Numbers no enum of ours declares; proto3 enums are open, so they must be kept, not dropped.
UNKNOWN_ENUM_NUMBERS = (777, 99, 2**31 - 1, -1)

STRING_SAMPLES = (
    "",
    "a",
    "ПАО СБЕРБАНК",
    "ООО «Ромашка»",
    "Ёжик в тумане",
    "7707083893",
    "emoji 😈 👨‍👩‍👧 non-BMP 𝄞",
    "line\nbreak\ttab\r",
    "\"quoted\" & <tagged> \\ backslash",
    "Ünïcödé 日本語 العربية",
    "\u007f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff",  # UTF-8 length boundaries
    "длинная строка " * 40,
)

BYTES_SAMPLES = (b"", b"\x00", b"\x00\x00\xff", bytes(range(256)), "байты".encode())

DOUBLE_SAMPLES = (
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1,
    50.00000001,
    sys.float_info.max,
    -sys.float_info.max,
    sys.float_info.min,  # smallest normal
    5e-324,  # smallest subnormal
    -5e-324,
    2.0**53 + 2,
)

FLOAT_SAMPLES = (
    0.0,
    -0.0,
    1.0,
    -1.5,
    struct.unpack("<f", struct.pack("<f", 0.1))[0],
    3.4028234663852886e38,  # FLT_MAX
    -3.4028234663852886e38,
    1.1754943508222875e-38,  # FLT_MIN
    1.401298464324817e-45,  # smallest float32 subnormal
    -1.401298464324817e-45,
)


class Filler:
    def __init__(self, protos: Protos, seed: str):
        self.protos = protos
        self.rng = random.Random(seed)

    # MARK: messages

    def fill(self, msg: Message, depth: int = 0) -> Message:
        """Fills msg (a fresh message) in place and returns it."""
        desc = msg.DESCRIPTOR
        # At most one member of each real oneof; proto3 `optional` fields are synthetic oneofs of one field
        # and are handled as fields with presence below.
        chosen = set()
        for oneof in desc.oneofs:
            members = list(oneof.fields)
            if self.protos.is_proto3_optional(members[0]):
                continue
            if self.rng.random() < 0.75:
                chosen.add(self.rng.choice(members).name)

        for fd in desc.fields:
            in_real_oneof = fd.containing_oneof is not None and not self.protos.is_proto3_optional(fd)
            if in_real_oneof and fd.name not in chosen:
                continue
            if is_map_entry(fd.message_type):
                self._fill_map(msg, fd, depth)
            elif fd.is_repeated:
                self._fill_repeated(msg, fd, depth)
            elif fd.type == FD.TYPE_MESSAGE:
                # A chosen oneof member is always set, even at the depth limit (then empty but present).
                if in_real_oneof or (depth < MAX_DEPTH and self.rng.random() < 0.75):
                    self._fill_message(getattr(msg, fd.name), depth + 1)
            elif in_real_oneof or fd.has_presence:
                # Oneof members and proto3 `optional`: sometimes set explicitly to the default, which must
                # stay distinguishable from unset.
                if in_real_oneof or self.rng.random() < 0.6:
                    value = self._default(fd) if self.rng.random() < 0.25 else self.scalar(fd)
                    setattr(msg, fd.name, value)
            else:
                setattr(msg, fd.name, self.scalar(fd))
        return msg

    def _fill_message(self, sub: Message, depth: int) -> None:
        if depth > MAX_DEPTH or self.rng.random() < 0.15:
            sub.SetInParent()  # present but empty
        else:
            self.fill(sub, depth)

    def _count(self, depth: int) -> int:
        return self.rng.randint(0, MAX_COUNT) if depth < MAX_DEPTH else 0

    def _fill_repeated(self, msg: Message, fd, depth: int) -> None:
        container = getattr(msg, fd.name)
        for _ in range(self._count(depth)):
            if fd.type == FD.TYPE_MESSAGE:
                self._fill_message(container.add(), depth + 1)
            else:
                container.append(self.scalar(fd))

    def _fill_map(self, msg: Message, fd, depth: int) -> None:
        container = getattr(msg, fd.name)
        key_fd = fd.message_type.fields_by_name["key"]
        value_fd = fd.message_type.fields_by_name["value"]
        for _ in range(self._count(depth)):
            key = self.scalar(key_fd)
            if value_fd.type == FD.TYPE_MESSAGE:
                self._fill_message(container[key], depth + 1)
            else:
                container[key] = self.scalar(value_fd)

    # MARK: scalars

    @staticmethod
    def _default(fd):
        if fd.type == FD.TYPE_ENUM:
            return fd.enum_type.values[0].number
        return fd.default_value

    def scalar(self, fd):
        t = fd.type
        r = self.rng
        if t == FD.TYPE_BOOL:
            return r.random() < 0.5
        if t == FD.TYPE_STRING:
            return self.string()
        if t == FD.TYPE_BYTES:
            return self.bytes_()
        if t == FD.TYPE_ENUM:
            if r.random() < 0.125:
                return r.choice(UNKNOWN_ENUM_NUMBERS)
            return r.choice(fd.enum_type.values).number
        if t == FD.TYPE_DOUBLE:
            return self.double()
        if t == FD.TYPE_FLOAT:
            return self.float32()
        if t in (FD.TYPE_INT32, FD.TYPE_SINT32, FD.TYPE_SFIXED32):
            return self.integer(*INT32)
        if t in (FD.TYPE_INT64, FD.TYPE_SINT64, FD.TYPE_SFIXED64):
            return self.integer(*INT64)
        if t in (FD.TYPE_UINT32, FD.TYPE_FIXED32):
            return self.integer(*UINT32)
        if t in (FD.TYPE_UINT64, FD.TYPE_FIXED64):
            return self.integer(*UINT64)
        raise TypeError(f"unsupported field type {t} of {fd.full_name}")

    def integer(self, lo: int, hi: int) -> int:
        r = self.rng
        pick = r.randrange(8)
        if pick == 0:
            return 0
        if pick == 1:
            return hi
        if pick == 2:
            return lo
        if pick == 3:
            return max(lo, -1)  # -1: a ten-byte varint for int32/int64
        if pick == 4:
            return min(hi, r.choice((127, 128, 16383, 16384)))  # varint length boundaries
        return r.randint(lo, hi)

    def double(self) -> float:
        r = self.rng
        if r.random() < 0.5:
            return r.choice(DOUBLE_SAMPLES)
        return r.uniform(-1, 1) * 10.0 ** r.randint(-300, 300)

    def float32(self) -> float:
        r = self.rng
        if r.random() < 0.5:
            return r.choice(FLOAT_SAMPLES)
        while True:  # a random bit pattern, rejecting NaN and the infinities (exponent all ones)
            bits = r.getrandbits(32)
            if (bits >> 23) & 0xFF != 0xFF:
                return struct.unpack("<f", struct.pack("<I", bits))[0]

    def string(self) -> str:
        r = self.rng
        if r.random() < 0.6:
            return r.choice(STRING_SAMPLES)
        # Random scalars from all of Unicode except U+0000 and the surrogates (not valid in UTF-8).
        chars = []
        for _ in range(r.randint(1, 24)):
            plane = r.random()
            hi = 0x7F if plane < 0.3 else 0xFFFF if plane < 0.8 else 0x10FFFF
            c = r.randint(1, hi)
            if not 0xD800 <= c <= 0xDFFF:
                chars.append(chr(c))
        return "".join(chars)

    def bytes_(self) -> bytes:
        r = self.rng
        if r.random() < 0.4:
            return r.choice(BYTES_SAMPLES)
        return r.randbytes(r.randint(1, 64))


def random_message(protos: Protos, full_name: str, seed: str) -> Message:
    """A random message of the given type; the same (full_name, seed) gives the same message."""
    return Filler(protos, seed).fill(protos.message_class(full_name)())
