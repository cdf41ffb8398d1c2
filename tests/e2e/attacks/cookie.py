#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""SYN cookies as tcpsentry makes them (include/tcpsentry/cookie_mac.h), for the
attack tests: what a brute force that guessed right would send.

  cookie.py ack CONFIG_PIN CLIENT CPORT SERVER SPORT ISN
      -> "SEQ ACK": the ACK that completes a handshake through a cookie
         for that tuple and client ISN, now (SEQ = ISN + 1, ACK = cookie + 1)
  cookie.py pcap-ack PCAP CLIENT CPORT
      -> "SEQ ACK" of the first bare ACK CLIENT:CPORT sent in PCAP (IPv4)

CONFIG_PIN: the attachment's pinned `config` map, whose cookie_key is read
with bpftool (its BTF names the fields).
"""
import json
import socket
import struct
import subprocess
import sys
import time

M64 = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash13(k0, k1, words):
    v0 = 0x736f6d6570736575 ^ k0
    v1 = 0x646f72616e646f6d ^ k1
    v2 = 0x6c7967656e657261 ^ k0
    v3 = 0x7465646279746573 ^ k1

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & M64; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & M64; v3 = rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M64; v3 = rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M64; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)

    for m in words + [(len(words) * 8) << 56 & M64]:
        v3 ^= m
        rnd()
        v0 ^= m
    v2 ^= 0xff
    rnd(); rnd(); rnd()
    return v0 ^ v1 ^ v2 ^ v3


def words_of(addr):
    """an address as the datapath holds it: 4 u32 loaded from network
    bytes on this little-endian host, IPv4 v4-mapped"""
    if ":" in addr:
        b = socket.inet_pton(socket.AF_INET6, addr)
    else:
        b = bytes(10) + b"\xff\xff" + socket.inet_aton(addr)
    return list(struct.unpack("<4I", b))


def port_word(p):
    return struct.unpack("<H", struct.pack("!H", p))[0]


def mac(key, sa, da, sport, dport, isn, t, low):
    s, d = words_of(sa), words_of(da)
    m = [port_word(sport) << 48 | port_word(dport) << 32 | isn,
         (t << 8 | (low & 0xff)) & M64,
         s[3] | d[3] << 32]
    if s[0] | s[1] | d[0] | d[1] | (s[2] ^ d[2]) | (s[2] ^ 0xffff0000):
        m += [s[0] | s[1] << 32, d[0] | d[1] << 32, s[2] | d[2] << 32]
    return (siphash13(key[0], key[1], m) >> 40) << 8


def cookie_key(pin):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                         check=True, capture_output=True, text=True).stdout
    v = json.loads(out)[0]["formatted"]["value"]["cookie_key"]
    w = [int(x) & 0xffffffff for x in v]
    return [w[0] | w[1] << 32, w[2] | w[3] << 32]


def pcap_ack(path, client, cport):
    data = open(path, "rb").read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        f = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(f) < 54 or f[12:14] != b"\x08\x00":
            continue
        ip = f[14:]
        hl = (ip[0] & 0xf) * 4
        th = ip[hl:]
        if ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != client or \
                struct.unpack("!H", th[0:2])[0] != cport:
            continue
        if th[13] == 0x10:
            seq, ack = struct.unpack("!II", th[4:12])
            return seq, ack
    return None


def main(argv):
    if len(argv) == 8 and argv[1] == "ack":
        key = cookie_key(argv[2])
        client, cport, server, sport, isn = argv[3], int(argv[4]), argv[5], int(argv[6]), int(argv[7])
        t = time.clock_gettime_ns(time.CLOCK_MONOTONIC) >> 36
        low = 3 << 6 | 15  # MSS index 3 (1460), no window scale, no SACK, no timestamps
        c = mac(key, client, server, cport, sport, isn, t, low) | low
        print((isn + 1) & 0xffffffff, (c + 1) & 0xffffffff)
        return 0
    if len(argv) == 5 and argv[1] == "pcap-ack":
        r = pcap_ack(argv[2], argv[3], int(argv[4]))
        if not r:
            return 1
        print(r[0], r[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
