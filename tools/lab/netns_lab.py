"""netns_lab: a throw-away lab of network namespaces running real tachyd nodes.

Shared by the integration tests, the demo and (later) tachybench, so the lab
is written once. Everything it creates is named with a prefix that includes
the PID ("ty<pid>..."), so parallel runs cannot clash, and everything is torn
down on exit, on failure and on SIGINT/SIGTERM: namespaces are deleted and
only processes this lab started are killed, by PID.

Times are CLOCK_MONOTONIC nanoseconds, which all namespaces share, so a fault
time taken here compares directly with tachyd's event times.
"""

import atexit
import datetime
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest


def mono_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def sh(*argv, check=True):
    """Runs a short command, raising with its stderr on failure."""
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def netns_pids(ns):
    """The pids of every process in network namespace `ns`."""
    return [int(p) for p in sh("ip", "netns", "pids", ns, check=False).split()]


def kill_all(list_pids, what, freeze=True, tries=50):
    """SIGKILLs every process `list_pids()` names until it names none.
    With `freeze`, they are all stopped first (SIGSTOP): killed one by one, a
    process would see its parent die first and act on it (keepalived's VRRP
    child gets SIGTERM from its parent's death and sends a priority-0 advert,
    a goodbye that a crashed machine never sends). A process forked after the
    listing (an apache2 child) would outlive one pass and hold the port, so it
    lists again. Returns (the CLOCK_MONOTONIC ns of the kill, every pid seen)."""
    pids = list_pids()
    t = mono_ns()
    if freeze:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
    seen = set(pids)
    for _ in range(tries):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pids = list_pids()
        seen.update(pids)
        if not pids:
            return t, seen
        time.sleep(0.01)
    raise RuntimeError(f"processes of {what} survive SIGKILL: {pids}")


def wait_gone(pids, timeout):
    """Waits until none of `pids` has a /proc entry; bounded. A host reaps
    its dead at once; this sandbox's PID 1 may take a while, and until then
    `kill -0` (an LSB status check) still finds the zombie "running"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.01)


def unix_request(path, line, timeout):
    """One request line to a Unix stream socket that answers with one JSON
    document and closes (tachyd's control socket, the bridge's); the
    document, parsed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    finally:
        s.close()
    return json.loads(data)


def bridge_command(control, command, timeout=5):
    """One command to tachy-impair-bridge's control socket (`control`); its
    JSON reply, as it came (errors included: {"ok": false, "error": ...})."""
    return unix_request(control, command, timeout)


class Watcher:
    """Follows `tachyctl watch --json` and queues its events: peer lines
    (`"type": "peer"`, or no "type", as tachyd wrote them before it had other
    kinds) in `events`, takeover lines (`"type": "takeover"`) in `takeovers`,
    monitor lines (`"type": "monitor"`: a held resource failed) in
    `monitors`; lines of other kinds are ignored, so wait_for() and drain()
    see peer events only."""

    def __init__(self, lab, node):
        self.events = queue.Queue()
        self.takeovers = queue.Queue()
        self.monitors = queue.Queue()
        self.proc = lab.spawn(None, [lab.tachyctl, "--socket", node.socket, "watch", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if not isinstance(e, dict):
                continue
            kind = e.get("type", "peer")
            if kind == "peer":
                self.events.put(e)
            elif kind == "takeover":
                self.takeovers.put(e)
            elif kind == "monitor":
                self.monitors.put(e)

    def wait_for(self, node, to, timeout=5.0, reason=None):
        """The first event for `node` reaching state `to` (optionally with
        `reason` in its text), or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if e["node"] == node and e["to"] == to and (reason is None or reason in e["reason"]):
                return e

    def drain(self):
        return self._drain(self.events)

    def drain_takeovers(self):
        """The takeover lines received since the last call."""
        return self._drain(self.takeovers)

    def drain_monitors(self):
        """The monitor lines received since the last call."""
        return self._drain(self.monitors)

    @staticmethod
    def _drain(q):
        out = []
        while True:
            try:
                out.append(q.get_nowait())
            except queue.Empty:
                return out


class Node:
    """One tachyd in its own namespace with its own config and state dirs."""

    def __init__(self, lab, name, ns, conf_dir):
        self.lab, self.name, self.ns, self.dir = lab, name, ns, conf_dir
        self.socket = os.path.join(conf_dir, "tachyd.sock")
        self.state_dir = os.path.join(conf_dir, "state")
        self.log_path = os.path.join(conf_dir, "tachyd.log")
        self.proc = None

    def start(self, extra_args=(), output=None, env=None):
        """Starts tachyd; its output goes to the node's log file, or to
        `output` (a file object or fd, e.g. a pipe the caller controls);
        `env`: variables added to its environment."""
        log = open(self.log_path, "a") if output is None else output
        actions = [] if os.path.exists(os.path.join(self.dir, "haresources")) else ["--no-actions"]
        self.proc = self.lab.spawn(self.ns, [self.lab.tachyd, "-c", self.dir, "--node", self.name,
                                             "--state-dir", self.state_dir, "--socket", self.socket,
                                             # Not the host's /var/lib/heartbeat: a lab node
                                             # was never a Heartbeat node.
                                             "--heartbeat-state-dir",
                                             os.path.join(self.state_dir, "heartbeat"),
                                             *actions, *extra_args], stdout=log, stderr=log,
                                    env={**os.environ, **(env or {})})
        if output is None:
            log.close()
        return self

    def wait_ready(self, timeout=5.0):
        """Waits until the control socket answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tachyd {self.name} exited {self.proc.returncode}:\n{self.log()}")
            try:
                return self.status()
            except (OSError, ValueError):
                time.sleep(0.02)
        raise RuntimeError(f"tachyd {self.name} not ready after {timeout}s:\n{self.log()}")

    def status(self):
        return unix_request(self.socket, "status", timeout=2)

    def peer(self, name):
        for n in self.status()["nodes"]:
            if n["name"] == name:
                return n
        raise KeyError(name)

    def signal(self, sig):
        """Sends `sig` and returns the CLOCK_MONOTONIC time just before it."""
        t = mono_ns()
        os.kill(self.proc.pid, sig)
        return t

    def kill(self):
        t = self.signal(signal.SIGKILL)
        self.proc.wait(timeout=5)
        return t

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""


class Lab:
    """Namespaces, links and processes of one test run; a context manager."""

    def __init__(self, tachyd=None, tachyctl=None, tag="l"):
        # Labs without tachy nodes (the impairment-bridge tests) pass none.
        self.tachyd = os.path.abspath(tachyd) if tachyd else None
        self.tachyctl = os.path.abspath(tachyctl) if tachyctl else None
        self.prefix = f"ty{os.getpid()}{tag}"
        self.namespaces, self.procs = [], []
        self.tmp = tempfile.mkdtemp(prefix=f"{self.prefix}-")
        self._closed = False
        atexit.register(self.close)
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.close()
        raise SystemExit(128 + signum)

    def __enter__(self):
        return self

    @property
    def closed(self):
        return self._closed

    def __exit__(self, *exc):
        self.close()

    def ns(self, name):
        full = f"{self.prefix}{name}"
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        sh("ip", "-n", full, "link", "set", "lo", "up")
        return full

    def veth(self, ns1, if1, ns2, if2, ip1=None, ip2=None, prefixlen=24):
        """A veth pair between two namespaces, up, with optional IPv4 addresses."""
        sh("ip", "link", "add", if1, "netns", ns1, "type", "veth", "peer", "name", if2,
           "netns", ns2)
        for ns, ifname, ip in ((ns1, if1, ip1), (ns2, if2, ip2)):
            if ip:
                sh("ip", "-n", ns, "addr", "add", f"{ip}/{prefixlen}", "brd", "+", "dev", ifname)
            sh("ip", "-n", ns, "link", "set", ifname, "up")

    def bridge(self, ns, name, ports):
        sh("ip", "-n", ns, "link", "add", name, "type", "bridge")
        for p in ports:
            sh("ip", "-n", ns, "link", "set", p, "master", name)
        sh("ip", "-n", ns, "link", "set", name, "up")

    def link(self, ns, ifname, up):
        sh("ip", "-n", ns, "link", "set", ifname, "up" if up else "down")

    def spawn(self, ns, argv, **kw):
        cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
        p = subprocess.Popen(cmd, **kw)  # `ip netns exec` execs: p.pid is the program's
        self.procs.append(p)
        return p

    def write_config(self, name, ha_cf, authkeys="auth 1\n1 sha256 tachy-lab-secret\n"):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "ha.cf"), "w") as f:
            f.write(ha_cf)
        path = os.path.join(d, "authkeys")
        with open(path, "w") as f:
            f.write(authkeys)
        os.chmod(path, 0o600)
        return d

    def node(self, name, ns, ha_cf, authkeys=None):
        d = self.write_config(name, ha_cf, *( [authkeys] if authkeys else []))
        return Node(self, name, ns, d)

    def watch(self, node):
        return Watcher(self, node)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                    p.kill()
                    p.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        # Whatever still runs inside our namespaces was started by us (e.g.
        # apache2 started by tachy-actions): kill it before the namespace goes.
        for ns in self.namespaces:
            r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def ha_cf(nodes, media, keepalive="2ms", deadtime="20ms", warntime=None, initdead="2",
          extra=""):
    """An ha.cf in Heartbeat syntax for the lab."""
    lines = [f"keepalive {keepalive}", f"deadtime {deadtime}"]
    if warntime:
        lines.append(f"warntime {warntime}")
    lines += [f"initdead {initdead}", *media, f"node {' '.join(nodes)}"]
    return "\n".join(lines) + "\n" + extra


def two_nodes(lab, keepalive="2ms", deadtime="20ms", warntime=None, media_b=None, media_a=None):
    """Nodes a and b over one veth pair (raw medium), started and up."""
    na, nb = lab.ns("a"), lab.ns("b")
    lab.veth(na, "hb0", nb, "hb0")
    media = ["raw hb0"]
    a = lab.node("a", na, ha_cf(["a", "b"], media_a or media, keepalive, deadtime, warntime))
    b = lab.node("b", nb, ha_cf(["a", "b"], media_b or media, keepalive, deadtime, warntime))
    a.start()
    b.start()
    a.wait_ready()
    b.wait_ready()
    return a, b


# prefork rather than event: a forked child serves as soon as it exists,
# where event's children first start their thread pools. Measured with
# `bench/tachybench --fault crash --trials 20` (keepalive 2 ms, deadtime
# 20 ms): first page after the crash p50 38.2 / p99 43.4 ms with prefork,
# 41.3 / 53.9 ms with event.
APACHE_CONF = """ServerRoot /etc/apache2
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
ServerName {name}
PidFile {d}/apache.pid
DefaultRuntimeDir {d}/run
Mutex file:{d}/run default
ErrorLog {d}/error.log
LogLevel warn
Listen 80
User www-data
Group www-data
DocumentRoot {d}/www
DirectoryIndex index.html
<Directory {d}/www>
  Require all granted
</Directory>
"""

# A node whose httpd cannot start (a broken config, say).
FAILING_HTTPD = """#!/bin/sh
case "$1" in
  start) echo "httpd: configuration error: cannot load modules" >&2; exit 1 ;;
  stop) exit 0 ;;
  status) echo "httpd is not running" ;;
esac
"""

HTTPD_SCRIPT = """#!/bin/sh
# LSB-style script for this node's private apache2 (haresources: httpd).
CONF={d}/apache.conf
PID={d}/apache.pid
running() {{ [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }}
case "$1" in
  start) exec /usr/sbin/apache2 -f "$CONF" -k start ;;
  stop)
    running || exit 0
    /usr/sbin/apache2 -f "$CONF" -k stop
    i=0; while running && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
    running && exit 1; exit 0 ;;
  status) if running; then echo "httpd is running"; else echo "httpd is not running"; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
"""


class WebLab:
    """The reference scenario: nodes a and b each run tachyd, tachy-actions
    and a private apache2 whose page names the node; client c fetches
    http://VIP/. All on one bridge (namespace `sw`); the interface `hb0`
    carries heartbeats (raw medium) and service traffic alike.

    service="restart" (the default): haresources `a VIP httpd`, so a
    takeover adds the VIP and starts apache2. service="hot": apache2 runs on
    every node from start() (and again after revive()), haresources holds
    only the VIP, so a takeover only moves the address; apache2 listens on
    every address (`Listen 80`), so it answers on the VIP as soon as it is
    added."""

    SERVICES = ("restart", "hot")

    SUBNET = "10.213.7"

    def __init__(self, lab, keepalive="2ms", deadtime="20ms", auto_failback="on",
                 nodes=("a", "b"), extra_resources="", httpd_script=None, script_for=None,
                 dedicated_link=False, impair_bridge=None, service="restart", ha_extra=""):
        if service not in self.SERVICES:
            raise ValueError(f"service must be one of {self.SERVICES}: {service!r}")
        self.lab = lab
        self.service = service
        self.keepalive, self.deadtime = keepalive, deadtime
        self.vip = f"{self.SUBNET}.100"
        sw = lab.ns("sw")
        self.client_ns = lab.ns("c")
        lab.veth(self.client_ns, "hb0", sw, "pc", f"{self.SUBNET}.50")
        ports = ["pc"]
        self.nodes = {}
        namespaces = {name: lab.ns(name) for name in nodes}
        # dedicated_link: heartbeats on their own a-b link (hb1), service on
        # the bridge, so the heartbeat path can fail while clients still
        # reach both nodes (a split brain).
        if dedicated_link and len(nodes) == 2:
            lab.veth(namespaces[nodes[0]], "hb1", namespaces[nodes[1]], "hb1")
        elif dedicated_link:
            # More nodes: a heartbeat switch of its own (namespace `hsw`).
            hsw = lab.ns("hsw")
            for name in nodes:
                lab.veth(namespaces[name], "hb1", hsw, f"h{name}")
            lab.bridge(hsw, "br1", [f"h{name}" for name in nodes])
        medium = "raw hb1" if dedicated_link else "raw hb0"
        for i, name in enumerate(nodes, start=1):
            ns = namespaces[name]
            lab.veth(ns, "hb0", sw, f"p{name}", f"{self.SUBNET}.{i}")
            ports.append(f"p{name}")
            conf = ha_cf(list(nodes), [medium], keepalive, deadtime,
                         extra=f"auto_failback {auto_failback}\n{ha_extra}")
            node = lab.node(name, ns, conf)
            with open(os.path.join(node.dir, "haresources"), "w") as f:
                if service == "hot":
                    f.write(f"# hot service: apache2 runs everywhere, {nodes[0]} prefers the VIP\n"
                            f"{nodes[0]} {self.vip}{extra_resources}\n")
                else:
                    f.write(f"# the reference scenario: {nodes[0]} prefers the VIP and httpd\n"
                            f"{nodes[0]} {self.vip} httpd{extra_resources}\n")
            os.makedirs(os.path.join(node.dir, "resource.d"), exist_ok=True)
            www = os.path.join(node.dir, "www")
            os.makedirs(www, exist_ok=True)
            os.makedirs(os.path.join(node.dir, "run"), exist_ok=True)
            with open(os.path.join(www, "index.html"), "w") as f:
                f.write(f"node {name}\n")
            with open(os.path.join(node.dir, "apache.conf"), "w") as f:
                f.write(APACHE_CONF.format(name=name, d=node.dir))
            script = os.path.join(node.dir, "resource.d", "httpd")
            with open(script, "w") as f:
                text = (script_for or {}).get(name) or httpd_script or HTTPD_SCRIPT
                f.write(text.format(d=node.dir))
            os.chmod(script, 0o755)
            node.apache_pid = os.path.join(node.dir, "apache.pid")
            node.ip = f"{self.SUBNET}.{i}"  # the node's own address on hb0
            self.nodes[name] = node
        self.impair_control = None
        if impair_bridge:
            # The user-space impairment bridge replaces the kernel bridge, so
            # loss, delay and partitions can be switched per direction.
            self.impair_control = os.path.join(lab.tmp, "impair.sock")
            args = [impair_bridge, "--control", self.impair_control]
            for port in ports:
                args += ["--port", f"{port[1:]}={port}"]
            self.bridge_proc = lab.spawn(sw, args, stdout=subprocess.PIPE, text=True)
            if self.bridge_proc.stdout.readline().strip() != "ready":
                raise RuntimeError("impairment bridge did not start")
        else:
            lab.bridge(sw, "br0", ports)
        # www-data must reach the document root through mkdtemp's 0700 dir.
        os.chmod(lab.tmp, 0o755)
        for node in self.nodes.values():
            os.chmod(node.dir, 0o755)

    def start(self):
        if self.service == "hot":
            for name in self.nodes:
                self.start_hot_httpd(name)
        for node in self.nodes.values():
            node.start()
        for node in self.nodes.values():
            node.wait_ready()

    def httpd(self, name, verb):
        """Runs the node's httpd resource script (start|stop|status) in its
        namespace, as tachy-actions would; returns the CompletedProcess.
        Output goes to the node's httpd.log: a daemonised apache2 must not
        hold a pipe of ours open."""
        node = self.nodes[name]
        with open(os.path.join(node.dir, "httpd.log"), "a") as log:
            return subprocess.run(["ip", "netns", "exec", node.ns,
                                   os.path.join(node.dir, "resource.d", "httpd"), verb],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=30)

    def start_hot_httpd(self, name, timeout=10.0):
        """Starts the node's apache2 outside tachy (service="hot") and waits
        until it serves its page on the node's own address."""
        r = self.httpd(name, "start")
        if r.returncode != 0:
            raise RuntimeError(f"apache2 on {name} did not start (exit {r.returncode}):\n"
                               + self.httpd_log(name))
        node = self.nodes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.fetch(timeout=1, ip=node.ip) == f"node {name}":
                return
            time.sleep(0.02)
        raise RuntimeError(f"apache2 on {name} does not answer on {node.ip}:\n"
                           + self.httpd_log(name))

    def httpd_log(self, name):
        out = ""
        for f in ("httpd.log", "error.log"):
            try:
                with open(os.path.join(self.nodes[name].dir, f)) as fh:
                    out += f"--- {f} ---\n" + fh.read()[-3000:]
            except OSError:
                pass
        return out

    def holders(self, live_only=True):
        """Names of the nodes that have the VIP configured right now (by
        default only nodes whose link is up: a crashed node's stale address
        answers nobody)."""
        out = []
        for name, node in self.nodes.items():
            if live_only and "state UP" not in sh("ip", "-n", node.ns, "link", "show", "hb0"):
                continue
            if self.vip in sh("ip", "-n", node.ns, "-o", "-4", "addr", "show", "dev", "hb0"):
                out.append(name)
        return out

    def wait_holder(self, name, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.holders() == [name] and self.fetch() == f"node {name}":
                return True
            time.sleep(0.05)
        return False

    def fetch(self, timeout=2, ip=None):
        """The page the client gets from http://VIP/ (or http://ip/) now, or None."""
        r = subprocess.run(["ip", "netns", "exec", self.client_ns, sys.executable, "-c",
                            "import socket,sys\n"
                            f"s=socket.create_connection(('{ip or self.vip}',80),"
                            f"timeout={timeout})\n"
                            f"s.sendall(b'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n')\n"
                            "d=b''\n"
                            "while True:\n"
                            "  c=s.recv(65536)\n"
                            "  if not c: break\n"
                            "  d+=c\n"
                            "print(d.split(b'\\r\\n\\r\\n',1)[1].decode().strip())\n"],
                           capture_output=True, text=True, timeout=timeout + 5)
        return r.stdout.strip() if r.returncode == 0 else None

    def probe(self, duration=30, ip=None):
        """Starts http_probe in the client namespace against the VIP (or
        `ip`); returns the process."""
        here = os.path.dirname(os.path.abspath(__file__))
        return self.lab.spawn(self.client_ns, [sys.executable, os.path.join(here, "http_probe.py"),
                                               ip or self.vip, "--duration", str(duration)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def follow_probe(self, duration=60, ip=None):
        """probe(), read on a thread: a ProbeRun whose `answers` fill as they
        arrive."""
        return ProbeRun(self.probe(duration=duration, ip=ip))

    def impair(self, command):
        """Sends one command to the impairment bridge; returns its JSON reply."""
        reply = bridge_command(self.impair_control, command)
        if not reply.get("ok"):
            raise RuntimeError(f"impairment bridge: {command}: {reply.get('error')}")
        return reply

    def pids(self, name):
        """PIDs of the node's tachyd and tachy-actions (None if not running)."""
        node = self.nodes[name]
        tachyd = node.proc.pid if node.proc and node.proc.poll() is None else None
        return tachyd, self.actions_pid(name)

    def actions_pid(self, name):
        """PID of the node's tachy-actions, or None."""
        node = self.nodes[name]
        for pid in sh("ip", "netns", "pids", node.ns).split():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "tachy-actions":
                        return int(pid)
            except OSError:
                pass
        return None

    def apache_pid(self, name):
        try:
            with open(self.nodes[name].apache_pid) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def ctl(self, name, *args):
        """Runs tachyctl against a node; returns the CompletedProcess."""
        return subprocess.run([self.lab.tachyctl, "--socket", self.nodes[name].socket, *args],
                              capture_output=True, text=True, timeout=20)

    def crash(self, name):
        """Whole-node crash: SIGKILL every process of the node's namespace,
        then its link down. Returns the CLOCK_MONOTONIC time of the kill."""
        t, _ = self._kill_node(name)
        self.lab.link(self.nodes[name].ns, "hb0", up=False)
        return t

    def _kill_node(self, name):
        """SIGKILLs every process of the node's namespace, all frozen first:
        (the kill's time, the pids killed)."""
        node = self.nodes[name]
        t, pids = kill_all(lambda: netns_pids(node.ns), node.ns)
        if node.proc:
            node.proc.wait(timeout=5)
        return t, pids

    def _kill_all(self, node, pids):
        """SIGKILLs `pids` and whatever else runs in the node's namespace."""
        listings = [pids]
        kill_all(lambda: listings.pop() if listings else netns_pids(node.ns), node.ns,
                 freeze=False)

    def kill_processes(self, name):
        """Every process of the node SIGKILLed, the host itself kept: its
        link stays up and its addresses (the VIP too) stay configured, as
        after an OOM kill of everything or a crashed container. Returns the
        CLOCK_MONOTONIC time of the kill."""
        t, pids = self._kill_node(name)
        for p in self.lab.procs:
            p.poll()
        wait_gone(pids, 5)  # until the daemons are really gone
        return t

    def clean(self, name):
        """Ends whatever runs on a node (every process of its namespace
        SIGKILLed), takes the VIP off and its link up: the node as booted,
        no detector running. Trials of different detectors alternate by
        cleaning every node between them."""
        node = self.nodes[name]
        self._kill_all(node, [int(p) for p in sh("ip", "netns", "pids", node.ns).split()])
        if node.proc:
            node.proc.wait(timeout=5)
        for p in self.lab.procs:
            p.poll()  # reaps the killed children: no zombie keeps a pid alive
        self._drop_vip(node)
        self.lab.link(node.ns, "hb0", up=True)

    # Where a node may have the VIP (BgpWebLab: its two BGP links).
    VIP_DEVICES = ("hb0",)

    def _drop_vip(self, node):
        """What a node holding nothing has: no VIP on its interfaces, no
        apache pid file."""
        for dev in self.VIP_DEVICES:
            sh("ip", "-n", node.ns, "addr", "flush", "dev", dev, "to", f"{self.vip}/32",
               check=False)
        try:
            os.unlink(node.apache_pid)
        except FileNotFoundError:
            pass

    def revive(self, name):
        """Brings a crashed node back: link up, stale VIP gone (a rebooted
        host would not have it), with service="hot" apache2 started again
        (as at boot), tachyd started again."""
        node = self.nodes[name]
        sh("ip", "-n", node.ns, "addr", "flush", "dev", "hb0", "to", f"{self.vip}/32",
           check=False)
        for f in ("apache.pid",):
            try:
                os.unlink(os.path.join(node.dir, f))
            except FileNotFoundError:
                pass
        self.lab.link(node.ns, "hb0", up=True)
        if self.service == "hot":
            self.start_hot_httpd(name)
        node.start()
        node.wait_ready()


class IpMonitor:
    """`ip -ts monitor WHAT` in a namespace: every kernel event (routes,
    addresses) with the time ip read it (wall clock, turned into
    CLOCK_MONOTONIC here), as (ns, line) in `events`."""

    def __init__(self, lab, ns, what):
        self.events = []
        proc = lab.spawn(ns, ["ip", "-ts", "monitor", what], stdout=subprocess.PIPE, text=True)

        def read():
            for line in proc.stdout:
                if not line.startswith("[") or "]" not in line:
                    continue
                stamp, rest = line[1:].split("]", 1)
                try:
                    wall = datetime.datetime.fromisoformat(stamp).timestamp()
                except ValueError:
                    continue
                offset = time.time_ns() - mono_ns()
                self.events.append((int(wall * 1e9) - offset, rest.strip()))
        threading.Thread(target=read, daemon=True).start()

    def first(self, since_ns, *words):
        """The time of the first event after `since_ns` whose line has all
        `words`, or None."""
        for t, line in list(self.events):
            if t > since_ns and all(w in line for w in words):
                return t
        return None


class ProbeRun:
    """A running http_probe and the answers it printed so far (one dict per
    page: t_ns, sent_ns, page)."""

    def __init__(self, proc):
        self.proc, self.answers = proc, []
        self.thread = threading.Thread(
            target=lambda: self.answers.extend(json.loads(line) for line in proc.stdout),
            daemon=True)
        self.thread.start()

    def stop(self):
        """Ends the probe and waits for its last answers; returns them."""
        self.proc.stdin.close()
        self.proc.wait()
        self.thread.join(timeout=5)
        return self.answers


def wait_until(predicate, timeout=5.0, step=0.01):
    """Polls `predicate` until it is true (returns True) or `timeout` s
    pass (returns False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def wait_state(node, peer, state, timeout=5.0):
    return wait_until(lambda: node.peer(peer)["state"] == state, timeout)


class LabTestCase(unittest.TestCase):
    """A test with its own Lab: on failure the nodes' logs are printed, and
    every test checks that no namespace of its lab is left behind.
    Subclasses set `tachyd` and `tachyctl` (class attributes)."""

    tachyd = tachyctl = None

    def setUp(self):
        self.lab = Lab(self.tachyd, self.tachyctl, tag=self._testMethodName[5:9])

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        failed = result is not None and any(
            t is self for t, _ in (*result.failures, *result.errors))
        if failed:
            for d in sorted(os.listdir(self.lab.tmp)):
                log = os.path.join(self.lab.tmp, d, "tachyd.log")
                if os.path.exists(log):
                    with open(log) as f:
                        print(f"--- {d} tachyd.log ---\n" + f.read()[-6000:], file=sys.stderr)
        self.lab.close()
        left = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                          text=True).stdout.split()
                if n.startswith(self.lab.prefix)]
        self.assertEqual(left, [], "namespaces left behind")


def run_tests(argv, need, why):
    """Runs the unittest main of an integration test file: exit 77 (meson:
    SKIP) when `need` is false outside CI, failure under CI=true."""
    if not need:
        if os.environ.get("CI"):
            print(f"FAIL: CI must run these tests ({why})", file=sys.stderr)
            return 1
        print(f"SKIP: {why}", file=sys.stderr)
        return 77
    prog = unittest.main(argv=[sys.argv[0], "-v", *argv], exit=False)
    return 0 if prog.result.wasSuccessful() else 1
