#!/usr/bin/env python3
"""http_probe: asks http://IP/ for its page every millisecond, each time on a
new TCP connection (several in flight), and prints one JSON line per answer:
{"t_ns": <CLOCK_MONOTONIC when the answer arrived>, "sent_ns": ..., "page": "..."}.

A probe that loops one request at a time would sit out a 1 s SYN retransmit
whenever its SYN went to the dead node; a new connection every millisecond
finds the new owner as soon as it answers. At most --max-inflight
connections wait at once; beyond that the oldest is dropped, so a new one is
still opened every millisecond. Runs until --duration passes or
stdin is closed (the harness's way to stop it).
"""

import argparse
import json
import selectors
import socket
import sys
import time


def mono_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ip")
    p.add_argument("--interval-ms", type=float, default=1.0)
    p.add_argument("--timeout-ms", type=float, default=500)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--max-inflight", type=int, default=200)
    args = p.parse_args()
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    request = f"GET / HTTP/1.0\r\nHost: {args.ip}\r\n\r\n".encode()
    end = time.monotonic() + args.duration
    next_send = mono_ns()
    inflight = {}
    out = sys.stdout
    while time.monotonic() < end:
        now = mono_ns()
        if now >= next_send:
            if len(inflight) >= args.max_inflight:
                # Full of connections that hang (SYNs to a dead node): the
                # oldest gives way. Waiting for one to time out instead would
                # open no connection at all for timeout - max_inflight ms, and
                # every outage longer than max_inflight ms would measure as at
                # least timeout_ms (Heartbeat's failovers all came out ~508 ms).
                oldest = min(inflight, key=lambda k: inflight[k]["sent"])
                sel.unregister(oldest)
                oldest.close()
                inflight.pop(oldest)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((args.ip, 80))
            st = {"sent": now, "buf": b"", "sent_req": False}
            inflight[s] = st
            sel.register(s, selectors.EVENT_WRITE, st)
            next_send = now + int(args.interval_ms * 1e6)
        timeout = max(0, (next_send - mono_ns()) / 1e9)
        for key, ev in sel.select(timeout=min(timeout, 0.001)):
            if key.data == "stdin":
                if not sys.stdin.buffer.read1(4096):
                    return
                continue
            s, st = key.fileobj, key.data
            try:
                if not st["sent_req"]:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        raise OSError("connect failed")
                    s.send(request)
                    st["sent_req"] = True
                    sel.modify(s, selectors.EVENT_READ, st)
                    continue
                chunk = s.recv(65536)
                if chunk:
                    st["buf"] += chunk
                    continue
                body = st["buf"].split(b"\r\n\r\n", 1)
                if st["buf"].startswith(b"HTTP/1.") and b" 200 " in st["buf"][:16] and len(body) == 2:
                    out.write(json.dumps({"t_ns": mono_ns(), "sent_ns": st["sent"],
                                          "page": body[1].decode(errors="replace").strip()}) + "\n")
                    out.flush()
                raise OSError("done")
            except OSError:
                sel.unregister(s)
                s.close()
                inflight.pop(s, None)
        # Give up on connections that hang (SYN to a dead node).
        limit = mono_ns() - int(args.timeout_ms * 1e6)
        for s, st in list(inflight.items()):
            if st["sent"] < limit:
                sel.unregister(s)
                s.close()
                inflight.pop(s)


if __name__ == "__main__":
    main()
