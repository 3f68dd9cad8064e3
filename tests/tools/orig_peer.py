#!/usr/bin/env python3
"""A stand-in for an original InVPN node, for integration tests: it dials a
node over TLS with its certificate, speaks the framing (u16 len, u8 type,
body), sends an ANNOUNCE every second and never a CAPS, and logs every frame
it receives ("rx 0xTT LEN") to a file. With --garbage-after S it sends, S
seconds after linking, a run of frames of an unknown type (what a
desynchronised stream looks like); with --relink it dials again (once) when
the far end closes. Bounded: it exits after --hold seconds.
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import time


def announce(mac, port):
    body = struct.pack("!Bq6sH", 1, int(time.time() * 1000), mac, port)
    return struct.pack("!HB", len(body) + 1, 0x00) + body


def session(args, mac, log, n):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.ca)
    raw = socket.create_connection((args.host, args.port), timeout=5)
    s = ctx.wrap_socket(raw)
    s.settimeout(0.2)
    log.write("connected %d %s\n" % (n, s.version()))
    log.flush()
    start = time.time()
    next_announce = 0
    garbage_sent = False
    buf = b""
    while time.time() < args.deadline:
        now = time.time()
        if now >= next_announce and not garbage_sent:
            s.sendall(announce(mac, 41744))
            next_announce = now + 1
        if args.garbage_after is not None and not garbage_sent and n == 1 and \
                now - start >= args.garbage_after:
            # a run of frames of a type nobody knows, each well delimited
            s.sendall(b"".join(struct.pack("!HB", 8, 0x55) + os.urandom(7) for _ in range(40)))
            garbage_sent = True
            log.write("garbage sent\n")
            log.flush()
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except (ssl.SSLError, OSError) as e:
            log.write("closed %s\n" % e)
            log.flush()
            return
        if not data:
            log.write("closed by peer\n")
            log.flush()
            return
        buf += data
        while len(buf) >= 2:
            ln = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + ln:
                break
            log.write("rx 0x%02x %d\n" % (buf[2] if ln else -1, ln))
            buf = buf[2 + ln:]
        log.flush()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=41744)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--hold", type=float, default=30)
    p.add_argument("--garbage-after", type=float)
    p.add_argument("--relink", action="store_true")
    args = p.parse_args()
    args.deadline = time.time() + args.hold
    mac = bytes(int(x, 16) for x in args.mac.split(":"))
    with open(args.log, "a") as log:
        for n in (1, 2):
            try:
                session(args, mac, log, n)
            except (OSError, ssl.SSLError) as e:
                log.write("error %s\n" % e)
                log.flush()
            if not args.relink or time.time() >= args.deadline:
                break
            time.sleep(0.5)
        log.write("done\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
