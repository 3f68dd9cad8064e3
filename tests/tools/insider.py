#!/usr/bin/env python3
"""The insider: a node with a valid certificate that lies (issue 9).

It links to a daemon over TLS with its own certificate (made by the test PKI,
so the link is authenticated as usual), speaks the framing (u16 len, u8 type,
body; doc/PROTOCOL.md) and then sends forged frames of every kind, as a
script given on the command line. It logs every frame it receives
("rx 0xTT LEN") and every step it runs ("step ...") to --log.

    insider.py link --host H [--port P] --cert C --key K --ca A --mac M \
        --log FILE [--hold S] [--caps BITS|none] STEP...
    insider.py listen --bind IP:PORT --log FILE [--hold S] [--tls --cert ...] STEP...
    insider.py sniff --ifname IF --ethertype 0xTTTT --log FILE [--hold S]

link     dials H:P, sends CAPS (default bits 0x2, MESH; "none" poses as an
         original node, which sends no CAPS), an ANNOUNCE for --mac every
         --announce-every seconds (so that the link stays up), then runs the
         steps in order, reading and logging what arrives all the while. After
         the last step it keeps the link (and its ANNOUNCEs) until --hold.
listen   accepts TCP connections on IP:PORT and logs "accepted FROM" for each
         (to show that something was, or was not, dialled there); with --tls
         it also completes a TLS handshake as a server and runs the steps.
sniff    counts Ethernet frames of one ethertype seen on an interface
         (AF_PACKET; logs "seen SRC DST LEN" per frame): did a forged frame
         reach a TAP?

A STEP is one argument: a verb and key=value words, e.g.
    "info mac=02:00:5e:00:00:01 id=now+1000000000000 ip=198.18.1.1 port=41744"
Every sending step takes count=N (default 1) and every=S (seconds between
copies, default 0). Values:
    MAC     xx:xx:xx:xx:xx:xx, or "random" (a fresh made-up unicast MAC
            02:xx:... per copy), or "seq:PP:QQ" (02:PP:QQ:hi:mid:lo counting
            up from 0 per copy: many distinct made-up MACs)
    id      an integer, "now" (ms since the epoch, as real nodes use),
            "now+N" / "now-N" (ms), or "rx" (the id of the last HEALTH
            REQUEST received; for answers to a victim's own round)
    hex     payload bytes in hex
Verbs:
    sleep s=S                  wait (reading)
    await type=0xTT [timeout=S] [origin=MAC]
                               wait until a frame of that type arrives (for
                               0x02: from that origin); fails the run if not
    announce mac= id= port=    0x00
    info mac= id= ip= port=    0x01 (ip empty or "none": iptype 0)
    hreq origin= id= [trace=N] 0x02 with N made-up trace MACs
    hresp dst= src= id= size=  0x03 padded with routes to about size bytes
    unicast dst= src= [ethertype=] [hex=|len=]
                               0x80 (its body is the Ethernet frame: src is
                               its source MAC)
    gso dst= src= [ethertype=] [hex=|len=]
                               0x82 with an all-zero offload header (a plain
                               frame), to see that it is checked like 0x80
    bcast src= id= [ethertype=] [hex=|len=]
                               0x81
    gone origin= id= gone= last_id=
                               0x07 GONE: origin says its link to gone went
                               down, gone's newest INFO id being last_id
    withdraw mac=MAC[,MAC...] last_id= [version=1]
                               0x0c WITHDRAW: one entry (mac, last_id) per
                               MAC, all with the same last_id
    raw type=0xTT hex=         any frame
Bounded: every step has a finite count, the whole run ends after --hold
seconds, and the script exits 0 if every step ran (1 otherwise).
"""
import argparse
import os
import random
import select
import shlex
import socket
import ssl
import struct
import sys
import time

MARK_ETHERTYPE = 0x88B5  # IEEE local experimental: what sniff looks for by default


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC %r" % text)
    return bytes(int(x, 16) for x in parts)


def mac_text(b):
    return ":".join("%02x" % x for x in b)


class Values:
    """Turns a step's key=value words into bytes and numbers."""

    def __init__(self, state):
        self.state = state

    def mac(self, text, n):
        if text == "random":
            return bytes([0x02]) + os.urandom(5)
        if text.startswith("seq:"):
            _, p, q = text.split(":")
            return bytes([0x02, int(p, 16), int(q, 16)]) + n.to_bytes(3, "big")
        return mac_bytes(text)

    def id(self, text):
        now = int(time.time() * 1000)
        if text == "now":
            return now
        if text == "rx":
            if self.state.last_hreq_id is None:
                raise ValueError("id=rx but no HEALTH REQUEST was received")
            return self.state.last_hreq_id
        if text.startswith("now+"):
            return now + int(float(text[4:]))
        if text.startswith("now-"):
            return now - int(float(text[4:]))
        return int(float(text))


def frame(ftype, body):
    if len(body) + 1 > 65535:
        raise ValueError("frame too long")
    return struct.pack("!HB", len(body) + 1, ftype) + body


def eth_rest(kw):
    """ethertype + payload: the Ethernet frame after its two MACs."""
    et = int(kw.get("ethertype", hex(MARK_ETHERTYPE)), 0)
    if "hex" in kw:
        payload = bytes.fromhex(kw["hex"])
    else:
        payload = b"INSIDER" + bytes(max(0, int(kw.get("len", "46")) - 7))
    return struct.pack("!H", et) + payload


def ip_fields(text):
    if not text or text == "none":
        return 0, b""
    try:
        return 1, socket.inet_pton(socket.AF_INET, text)
    except OSError:
        return 2, socket.inet_pton(socket.AF_INET6, text)


def build(verb, kw, v, n):
    """One copy (number n of count) of a sending step's frame."""
    if verb == "announce":
        return frame(0x00, struct.pack("!Bq6sH", 1, v.id(kw.get("id", "now")),
                                       v.mac(kw["mac"], n), int(kw.get("port", "41744"))))
    if verb == "info":
        t, ip = ip_fields(kw.get("ip", ""))
        return frame(0x01, struct.pack("!Bq6sHB", 1, v.id(kw.get("id", "now")),
                                       v.mac(kw["mac"], n), int(kw.get("port", "41744")), t) + ip)
    if verb == "hreq":
        trace = b"".join(v.mac("random", 0) for _ in range(int(kw.get("trace", "0"))))
        return frame(0x02, struct.pack("!Bq6s", 1, v.id(kw.get("id", "now")),
                                       v.mac(kw["origin"], n)) + trace)
    if verb == "hresp":
        size = int(kw.get("size", "0"))
        fixed = 1 + 6 + 6 + 8 + 2 + 2 + 2
        nroutes = max(0, min((size - fixed) // 12, (65534 - fixed) // 12))
        routes = os.urandom(12 * nroutes)
        body = struct.pack("!B6s6sq", 1, v.mac(kw["dst"], n), v.mac(kw["src"], n),
                           v.id(kw.get("id", "rx")))
        body += struct.pack("!H", 0) + struct.pack("!H", nroutes) + routes + struct.pack("!H", 0)
        return frame(0x03, body)
    if verb == "unicast":
        src = v.mac(kw["src"], n)
        return frame(0x80, v.mac(kw["dst"], n) + src + eth_rest(kw))
    if verb == "gso":
        src = v.mac(kw["src"], n)
        return frame(0x82, bytes(10) + v.mac(kw["dst"], n) + src + eth_rest(kw))
    if verb == "bcast":
        return frame(0x81, struct.pack("!q6s", v.id(kw.get("id", "now")), v.mac(kw["src"], n)) +
                     eth_rest(kw))
    if verb == "gone":
        return frame(0x07, struct.pack("!Bq6s6sq", 1, v.id(kw.get("id", "now")),
                                       v.mac(kw["origin"], n), v.mac(kw["gone"], n),
                                       v.id(kw.get("last_id", "now"))))
    if verb == "withdraw":
        macs = kw["mac"].split(",")
        last_id = v.id(kw.get("last_id", "now"))
        body = struct.pack("!BH", int(kw.get("version", "1")), len(macs))
        body += b"".join(struct.pack("!6sq", v.mac(m, n), last_id) for m in macs)
        return frame(0x0C, body)
    if verb == "raw":
        return frame(int(kw["type"], 0), bytes.fromhex(kw.get("hex", "")))
    raise ValueError("unknown step %r" % verb)


class Session:
    def __init__(self, args, sock, log):
        self.args = args
        self.s = sock
        self.log = log
        self.buf = b""
        self.last_hreq_id = None
        self.last_hreq_origin = None
        self.seen = []  # (type, body) of frames received since the last await
        self.sent = 0
        self.next_announce = 0
        self.closed = False

    def note(self, text):
        self.log.write("%.3f %s\n" % (time.time(), text))
        self.log.flush()

    def send(self, data):
        self.s.settimeout(10)
        self.s.sendall(data)
        self.sent += len(data)

    def keepalive(self):
        if self.args.mac and time.time() >= self.next_announce:
            self.send(frame(0x00, struct.pack("!Bq6sH", 1, int(time.time() * 1000),
                                              mac_bytes(self.args.mac), 41744)))
            self.next_announce = time.time() + self.args.announce_every

    def pump(self, timeout):
        """Read and log what arrives for up to timeout seconds."""
        end = time.time() + timeout
        while not self.closed:
            self.keepalive()
            left = end - time.time()
            if left <= 0 and not self.s.pending():
                return
            if not self.s.pending():
                r, _, _ = select.select([self.s], [], [], max(0, min(left, 0.2)))
                if not r:
                    continue
            try:
                self.s.settimeout(1)
                data = self.s.recv(65536)
            except (ssl.SSLWantReadError, socket.timeout):
                continue
            except (ssl.SSLError, OSError) as e:
                self.note("closed %s" % e)
                self.closed = True
                return
            if not data:
                self.note("closed by peer")
                self.closed = True
                return
            self.buf += data
            while len(self.buf) >= 2:
                ln = struct.unpack("!H", self.buf[:2])[0]
                if len(self.buf) < 2 + ln:
                    break
                body = self.buf[3:2 + ln]
                t = self.buf[2] if ln else -1
                self.buf = self.buf[2 + ln:]
                self.note("rx 0x%02x %d" % (t & 0xFF, ln))
                if t == 0x02 and len(body) >= 15:
                    self.last_hreq_id = struct.unpack("!q", body[1:9])[0]
                    self.last_hreq_origin = body[9:15]
                    self.note("hreq origin %s id %d" % (mac_text(body[9:15]), self.last_hreq_id))
                self.seen.append((t, body))
                del self.seen[:-256]

    def await_frame(self, kw):
        want = int(kw["type"], 0)
        origin = mac_bytes(kw["origin"]) if "origin" in kw else None
        end = time.time() + float(kw.get("timeout", "10"))
        while time.time() < end and not self.closed:
            for t, body in self.seen:
                if t == want and (origin is None or body[9:15] == origin):
                    self.seen.clear()
                    return True
            self.seen.clear()
            self.pump(0.1)
        return False

    def run(self, steps):
        v = Values(self)
        for text in steps:
            words = shlex.split(text)
            verb, kw = words[0], dict(w.split("=", 1) for w in words[1:])
            self.note("step %s" % text)
            if verb == "sleep":
                self.pump(float(kw.get("s", "1")))
                continue
            if verb == "await":
                if not self.await_frame(kw):
                    self.note("await failed: %s" % text)
                    return False
                continue
            count = int(kw.pop("count", "1"))
            every = float(kw.pop("every", "0"))
            if count > 100000:
                raise ValueError("count above 100000")
            for n in range(count):
                if self.closed:
                    return False
                self.send(build(verb, kw, v, n))
                if every:
                    self.pump(every)
                elif n % 64 == 63:
                    self.pump(0)
            self.note("sent %d x %s (%d bytes so far)" % (count, verb, self.sent))
        return True


def tls_context(args, server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if not server:
        ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.ca)
    return ctx


def do_link(args, log):
    sess = None
    try:
        raw = socket.create_connection((args.host, args.port), timeout=5)
        s = tls_context(args, False).wrap_socket(raw)
        sess = Session(args, s, log)
        sess.note("connected %s" % s.version())
        if args.caps != "none":
            sess.send(frame(0x04, struct.pack("!BI", 1, int(args.caps, 0))))
        ok = sess.run(args.steps)
        sess.note("script %s" % ("done" if ok else "FAILED"))
        sess.pump(max(0, args.deadline - time.time()))
        return 0 if ok else 1
    except (OSError, ssl.SSLError, ValueError) as e:
        log.write("error %s\n" % e)
        return 1
    finally:
        log.write("done\n")
        log.flush()


def do_listen(args, log):
    host, port = args.bind.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host.strip("[]"), int(port)))
    ls.listen(8)
    log.write("listening %s\n" % args.bind)
    log.flush()
    rc = 0
    while time.time() < args.deadline:
        r, _, _ = select.select([ls], [], [], min(0.5, max(0, args.deadline - time.time())))
        if not r:
            continue
        c, peer = ls.accept()
        log.write("%.3f accepted %s\n" % (time.time(), peer[0]))
        log.flush()
        if not args.tls:
            c.close()
            continue
        try:
            s = tls_context(args, True).wrap_socket(c, server_side=True)
            sess = Session(args, s, log)
            if args.caps != "none":
                sess.send(frame(0x04, struct.pack("!BI", 1, int(args.caps, 0))))
            if not sess.run(args.steps):
                rc = 1
            sess.pump(max(0, args.deadline - time.time()))
        except (OSError, ssl.SSLError, ValueError) as e:
            log.write("error %s\n" % e)
            rc = 1
    log.write("done\n")
    return rc


def do_sniff(args, log):
    et = int(args.ethertype, 0)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(et))
    s.bind((args.ifname, 0))
    log.write("sniffing %s 0x%04x\n" % (args.ifname, et))
    log.flush()
    while time.time() < args.deadline:
        r, _, _ = select.select([s], [], [], min(0.5, max(0, args.deadline - time.time())))
        if r:
            data = s.recv(65536)
            log.write("seen %s %s %d\n" % (mac_text(data[6:12]), mac_text(data[0:6]), len(data)))
            log.flush()
    log.write("done\n")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("link", "listen"):
        q = sub.add_parser(name)
        q.add_argument("--cert")
        q.add_argument("--key")
        q.add_argument("--ca")
        q.add_argument("--mac", help="own MAC (the certificate's CN), for ANNOUNCEs")
        q.add_argument("--caps", default="0x2", help="CAPS bits to send, or none")
        q.add_argument("--announce-every", type=float, default=2)
        q.add_argument("--log", required=True)
        q.add_argument("--hold", type=float, default=30)
        q.add_argument("steps", nargs="*")
    sub.choices["link"].add_argument("--host", required=True)
    sub.choices["link"].add_argument("--port", type=int, default=41744)
    sub.choices["listen"].add_argument("--bind", required=True)
    sub.choices["listen"].add_argument("--tls", action="store_true")
    q = sub.add_parser("sniff")
    q.add_argument("--ifname", required=True)
    q.add_argument("--ethertype", default=hex(MARK_ETHERTYPE))
    q.add_argument("--log", required=True)
    q.add_argument("--hold", type=float, default=30)
    args = p.parse_args()
    args.deadline = time.time() + min(args.hold, 600)
    random.seed()
    with open(args.log, "a") as log:
        if args.cmd == "link":
            if not (args.cert and args.key and args.ca):
                p.error("link needs --cert, --key and --ca")
            return do_link(args, log)
        if args.cmd == "listen":
            if args.tls and not (args.cert and args.key and args.ca):
                p.error("listen --tls needs --cert, --key and --ca")
            return do_listen(args, log)
        return do_sniff(args, log)


if __name__ == "__main__":
    sys.exit(main())
