#!/usr/bin/env python3
"""Writes corpus/fuzz_journal/: logins journals (cache_journal.c's layout)
whose records hold the cache images of corpus/fuzz_cache/, so fuzz_journal
starts from whole records and headers rather than from noise.

  journal-one-record     one header slot naming one record
  journal-two-records    both slots; the newer names the second record
  journal-torn-newer     the newer slot names a record cut short
  journal-empty-epoch    a header naming no record

Standard library only. Run from anywhere: python3 tests/fuzz/make_journal_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SLOT = 512
HEAD = 2 * SLOT


def checksum(data):
    """cog_disk_checksum: FNV-1a's step over 64-bit words, then the tail bytes."""
    h = 0xCBF29CE484222325
    mask = (1 << 64) - 1
    i = 0
    while i + 8 <= len(data):
        h ^= struct.unpack_from("<Q", data, i)[0]
        h = (h * 0x100000001B3) & mask
        i += 8
    for b in data[i:]:
        h ^= b
        h = (h * 0x100000001B3) & mask
    return h


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def image(name):
    with open(os.path.join(HERE, "corpus", "fuzz_cache", name), "rb") as f:
        return f.read()[1:]  # fuzz_cache's first byte is its mode


def record(epoch, imgs):
    payload = b""
    for name, data in imgs:
        payload += struct.pack("<IIQ", len(name), 0, len(data)) + pad8(name) + pad8(data)
    head = b"COGJRN02" + struct.pack("<IIQQ", len(imgs), 0, epoch, len(payload))
    body = head + payload
    total = len(body) + 24
    return body + struct.pack("<QQ", total, checksum(body)) + b"COGJEND2"


def header(seq, epoch, off, length):
    fields = b"COGJHDR2" + struct.pack("<QQQQ", seq, epoch, off, length)
    return fields + struct.pack("<Q", checksum(fields))


def journal(slots, records):
    buf = bytearray(HEAD)
    for h in slots:
        seq = struct.unpack_from("<Q", h, 8)[0]
        at = (seq % 2) * SLOT
        buf[at:at + len(h)] = h
    for off, rec in records:
        if len(buf) < off:
            buf += b"\0" * (off - len(buf))
        buf[off:off + len(rec)] = rec
    return bytes(buf)


def main():
    nss, acc = image("cache-nss"), image("cache-accounts")
    imgs = [(b"nss.logins", nss), (b"accounts.logins", acc), (b"keys.logins", acc)]
    epoch = 7
    r1 = record(epoch, imgs)
    r2 = record(epoch, list(reversed(imgs)))
    off2 = HEAD + len(r1)
    seeds = {
        "journal-one-record": journal([header(1, epoch, HEAD, len(r1))], [(HEAD, r1)]),
        "journal-two-records": journal(
            [header(1, epoch, HEAD, len(r1)), header(2, epoch, off2, len(r2))],
            [(HEAD, r1), (off2, r2)]),
        "journal-torn-newer": journal(
            [header(1, epoch, HEAD, len(r1)), header(2, epoch, off2, len(r2))],
            [(HEAD, r1), (off2, r2[:len(r2) // 2])]),
        "journal-empty-epoch": journal([header(3, epoch + 1, 0, 0)], []),
    }
    out = os.path.join(HERE, "corpus", "fuzz_journal")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
