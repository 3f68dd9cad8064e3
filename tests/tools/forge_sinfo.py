#!/usr/bin/env python3
"""Build the body of a SIGNED_INFO (0x08, doc/PROTOCOL.md) and print it in hex,
for tests/tools/insider.py's "raw type=0x08 hex=..." step.

    forge_sinfo.py --mac MAC --id ID [--port P] [--caps BITS] [--addr IP]...
                   (--key KEY.pem | --garbage N)

--key signs it with that private key (openssl dgst; EC or RSA keys), as the
node holding the key would: with a's MAC and M's key, the signature is real
but by the wrong key. --garbage N puts N random bytes where the signature
goes. Used by the integration tests (sig_hijack) to show that forged signed
frames are refused.
"""
import argparse
import os
import socket
import struct
import subprocess
import sys

CONTEXT = b"invpn signed info 1"


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mac", required=True)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--port", type=int, default=41744)
    p.add_argument("--caps", type=lambda s: int(s, 0), default=0x6)
    p.add_argument("--addr", action="append", default=[])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--key")
    g.add_argument("--garbage", type=int)
    a = p.parse_args()
    body = struct.pack("!Bq6sHIB", 1, a.id, mac_bytes(a.mac), a.port, a.caps, len(a.addr))
    for ip in a.addr:
        try:
            body += b"\x01" + socket.inet_pton(socket.AF_INET, ip)
        except OSError:
            body += b"\x02" + socket.inet_pton(socket.AF_INET6, ip)
    if a.key:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key],
                             input=CONTEXT + body, capture_output=True, check=True).stdout
    else:
        sig = os.urandom(a.garbage)
    sys.stdout.write((body + struct.pack("!H", len(sig)) + sig).hex() + "\n")


if __name__ == "__main__":
    main()
