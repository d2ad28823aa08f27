"""The detectors tachybench compares, each driven the way its users run it,
in the same WebLab (namespaces, bridge, apache2 per node, client).

A driver has one life cycle per trial, so that trials of different
detectors can alternate in one lab:
  prepare(web)        once: write its configs into the nodes' directories
  start(web)          start its processes on every node
  settled(web)        True once the preferred node (the first) holds the VIP,
                      serves the page and the others stand by
  events              [(observer, {"node", "to", "t_ns", "reason"})]: what
                      each node declared, "dead" or "up", time-stamped on
                      arrival (CLOCK_MONOTONIC, as the fault time)
  first_dead(victim, since_ns, timeout)
  takeover(victim, since_ns)   tachy's takeover line, None for the others
  stop(web)           anything the driver runs outside the namespaces
  pids(web, name)     [(role, pid)] of its processes on a node
Killing every process of the namespaces (WebLab.clean) is what ends a
trial, so a driver never leaves a half-stopped node behind.

keepalived: VRRPv3 at its floor (advert_int 0.01 by default), priority 200
on the preferred node and 100 on the others; restart mode runs the node's
httpd script from a notify FIFO (one reader, in order, so that a late
BACKUP cannot overtake a MASTER). Detection: the backup's "Receive
advertisement timeout" line.

heartbeat: Debian's heartbeat 3.0.6 in haresources mode (crm no), bcast on
hb0, keepalive 20ms / deadtime 60ms by default; each node runs in its own
UTS and mount namespace (uname -n, /etc/ha.d, /var/lib/heartbeat, /run,
/var/log are private). Its log file is a FIFO read by this process, so
every line is stamped as heartbeat writes it. Detection: "node X: is dead".
"""

import os
import re
import shutil
import subprocess
import threading
import time

from netns_lab import mono_ns, sh


class LineLog:
    """Lines from a stream, each stamped with CLOCK_MONOTONIC on arrival and
    copied to `copy_path` for the post-mortem."""

    def __init__(self, stream, copy_path, on_line):
        self.stream, self.copy_path, self.on_line = stream, copy_path, on_line
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        with open(self.copy_path, "a") as copy:
            for line in self.stream:
                t = mono_ns()
                line = line.rstrip("\n")
                copy.write(f"{t} {line}\n")
                copy.flush()
                self.on_line(t, line)


def wait_first_dead(events, victim, since_ns, timeout):
    """The first event of another node declaring `victim` dead at or after
    `since_ns`, from `events()` ([(observer, event)], polled), or None after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        for observer, e in events():
            if (observer != victim and e["node"] == victim and e["to"] == "dead"
                    and e["t_ns"] >= since_ns):
                return e
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def processes_named(ns, comm):
    """PIDs of the processes of namespace `ns` whose comm is `comm`."""
    out = []
    for pid in sh("ip", "netns", "pids", ns, check=False).split():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == comm:
                    out.append(int(pid))
        except OSError:
            pass
    return out


class Driver:
    """What the drivers share: the event list and first_dead()."""

    name = "?"

    def __init__(self, args):
        self.args = args
        self.events = []  # (observer, event)
        self.lock = threading.Lock()

    def _event(self, observer, node, to, t_ns, reason):
        with self.lock:
            self.events.append((observer, {"node": node, "to": to, "t_ns": t_ns,
                                           "reason": reason}))

    def all_events(self):
        with self.lock:
            return list(self.events)

    def first_dead(self, victim, since_ns, timeout):
        return wait_first_dead(self.all_events, victim, since_ns, timeout)

    def takeover(self, victim, since_ns):
        return None

    def stop(self, web):
        pass

    def settings(self):
        return {}

    @staticmethod
    def _serving(web, preferred):
        return web.holders() == [preferred] and web.fetch(timeout=1) == f"node {preferred}"


KEEPALIVED_CONF = """# keepalived for tachybench, node {name}
global_defs {{
  router_id {name}
  vrrp_version 3
  script_user root
  enable_script_security
{fifo}}}
vrrp_instance VI {{
  state BACKUP
  interface hb0
  virtual_router_id 51
  priority {priority}
  advert_int {advert}
  virtual_ipaddress {{
    {vip}/24 dev hb0
  }}
}}
"""

# keepalived writes `INSTANCE "VI" MASTER 200` per transition to the FIFO;
# one reader runs the script for each in order.
KEEPALIVED_NOTIFY = """#!/bin/sh
# Serialised notify for keepalived: one transition at a time, in order.
while read -r kind name state prio; do
  case "$state" in
    MASTER) {httpd} start ;;
    BACKUP|FAULT|STOP) {httpd} stop ;;
  esac
done < "$1"
"""


class KeepalivedDriver(Driver):
    name = "keepalived"
    binary = "/usr/sbin/keepalived"

    def prepare(self, web):
        self.web = web
        self.names = list(web.nodes)
        self.state = {}  # node -> last VRRP state logged
        for i, (name, node) in enumerate(web.nodes.items()):
            kdir = os.path.join(node.dir, "keepalived")
            os.makedirs(kdir, exist_ok=True)
            fifo = ""
            if web.service == "restart":
                script = os.path.join(kdir, "notify.sh")
                with open(script, "w") as f:
                    f.write(KEEPALIVED_NOTIFY.format(
                        httpd=os.path.join(node.dir, "resource.d", "httpd")))
                os.chmod(script, 0o755)
                fifo = (f"  notify_fifo {os.path.join(kdir, 'notify.fifo')}\n"
                        f"  notify_fifo_script {script}\n")
            with open(os.path.join(kdir, "keepalived.conf"), "w") as f:
                f.write(KEEPALIVED_CONF.format(
                    name=name, priority=200 if i == 0 else 100, advert=self.args.keepalived_advert,
                    vip=web.vip, fifo=fifo))

    def settings(self):
        return {"advert_int": self.args.keepalived_advert, "vrrp_version": 3,
                "timing": f"advert {self.args.keepalived_advert} s",
                "priorities": {n: 200 if i == 0 else 100 for i, n in enumerate(self.names)}}

    def _peer(self, observer):
        # VRRP does not say whom the backup stopped hearing: with two nodes,
        # the other one.
        others = [n for n in self.names if n != observer]
        return others[0] if len(others) == 1 else "master"

    def _on_line(self, name, t, line):
        if "Receive advertisement timeout" in line:
            self._event(name, self._peer(name), "dead", t, line.split(": ", 1)[-1])
        elif "Entering MASTER STATE" in line:
            self.state[name] = "MASTER"
        elif "Entering BACKUP STATE" in line:
            if self.state.get(name) == "MASTER":
                # Back to backup: it hears a master again.
                self._event(name, self._peer(name), "up", t, line.split(": ", 1)[-1])
            self.state[name] = "BACKUP"

    def start(self, web):
        self.state = {}
        for name, node in web.nodes.items():
            kdir = os.path.join(node.dir, "keepalived")
            # A crashed node's pid files name a dead process (or, reused, a
            # live one): a booted node starts without them, as /run is new.
            for f in ("keepalived.pid", "vrrp.pid", "checkers.pid"):
                try:
                    os.unlink(os.path.join(kdir, f))
                except FileNotFoundError:
                    pass
            p = web.lab.spawn(node.ns, [
                self.binary, "--dont-fork", "--log-console", "--log-detail", "--vrrp",
                "-f", os.path.join(kdir, "keepalived.conf"),
                "-p", os.path.join(kdir, "keepalived.pid"),
                "-r", os.path.join(kdir, "vrrp.pid"),
                "-c", os.path.join(kdir, "checkers.pid")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            LineLog(p.stdout, os.path.join(kdir, "keepalived.log"),
                    lambda t, line, name=name: self._on_line(name, t, line))

    def settled(self, web):
        preferred = self.names[0]
        return (self.state.get(preferred) == "MASTER"
                and all(self.state.get(n) == "BACKUP" for n in self.names[1:])
                and self._serving(web, preferred))

    def pids(self, web, name):
        return [("keepalived", pid) for pid in processes_named(web.nodes[name].ns, "keepalived")]

    def log(self, web, name):
        try:
            with open(os.path.join(web.nodes[name].dir, "keepalived", "keepalived.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


HEARTBEAT_WRAPPER = """#!/bin/sh
# One Heartbeat node, run by `unshare --uts --mount`: its own node name and
# private /etc/ha.d, /var/lib/heartbeat, /run and /var/log.
set -e
hostname {name}
mount --make-rprivate /
mount --bind {d}/ha.d /etc/ha.d
mount --bind {d}/varlib /var/lib/heartbeat
mount -t tmpfs -o mode=755 tmpfs /run
install -d -o hacluster -g haclient -m 750 /run/heartbeat /run/heartbeat/ccm \\
  /run/heartbeat/crm /run/heartbeat/dopd /run/crm
mkdir -p /run/resource-agents /run/lock
mount --bind {d}/log /var/log
exec /usr/libexec/heartbeat/heartbeat -f
"""

HEARTBEAT_HA_CF = """# Heartbeat 3 for tachybench, node {name}
keepalive {keepalive}
deadtime {deadtime}
initdead 2
udpport 694
bcast hb0
auto_failback off
{nodes}
crm no
use_logd no
logfacility none
logfile /var/log/ha-log
"""

HB_DEAD = re.compile(r"node (\S+): is dead")
HB_ACTIVE = re.compile(r"Status update for node (\S+): status active")


class HeartbeatDriver(Driver):
    name = "heartbeat"
    binary = "/usr/libexec/heartbeat/heartbeat"

    def prepare(self, web):
        self.web = web
        self.names = list(web.nodes)
        self.marks = {}  # node -> set of milestones since the last start
        self.logs = {}
        preferred = self.names[0]
        for name, node in web.nodes.items():
            d = os.path.join(node.dir, "heartbeat")
            shutil.copytree("/etc/ha.d", os.path.join(d, "ha.d"), symlinks=True)
            shutil.copytree("/var/lib/heartbeat", os.path.join(d, "varlib"), symlinks=True)
            os.makedirs(os.path.join(d, "log"), exist_ok=True)
            with open(os.path.join(d, "ha.d", "ha.cf"), "w") as f:
                f.write(HEARTBEAT_HA_CF.format(
                    name=name, keepalive=self.args.heartbeat_keepalive,
                    deadtime=self.args.heartbeat_deadtime,
                    nodes="\n".join(f"node {n}" for n in self.names)))
            resources = f"IPaddr::{web.vip}/24/hb0" + (" httpd" if web.service == "restart"
                                                         else "")
            with open(os.path.join(d, "ha.d", "haresources"), "w") as f:
                f.write(f"{preferred} {resources}\n")
            keys = os.path.join(d, "ha.d", "authkeys")
            with open(keys, "w") as f:
                f.write("auth 1\n1 sha1 tachy-lab-secret\n")
            os.chmod(keys, 0o600)
            shutil.copy(os.path.join(node.dir, "resource.d", "httpd"),
                        os.path.join(d, "ha.d", "resource.d", "httpd"))
            with open(os.path.join(d, "run.sh"), "w") as f:
                f.write(HEARTBEAT_WRAPPER.format(name=name, d=d))
            # The log file is a FIFO we hold open for reading and writing, so
            # heartbeat (and its scripts, which append to it) never block on
            # it and every line is stamped as it is written.
            fifo = os.path.join(d, "log", "ha-log")
            os.mkfifo(fifo, 0o600)
            fd = os.open(fifo, os.O_RDWR)
            self.logs[name] = LineLog(os.fdopen(fd, "r", errors="replace"),
                                      os.path.join(d, "ha-log.txt"),
                                      lambda t, line, name=name: self._on_line(name, t, line))

    def settings(self):
        return {"keepalive": self.args.heartbeat_keepalive,
                "timing": f"{self.args.heartbeat_keepalive}/{self.args.heartbeat_deadtime}",
                "deadtime": self.args.heartbeat_deadtime, "media": "bcast hb0",
                "haresources": True, "crm": False}

    def _on_line(self, name, t, line):
        m = HB_DEAD.search(line)
        if m:
            self._event(name, m.group(1), "dead", t, line.split(": ", 2)[-1])
            return
        m = HB_ACTIVE.search(line)
        if m:
            self._event(name, m.group(1), "up", t, line.split(": ", 2)[-1])
            self.marks.setdefault(name, set()).add(f"active {m.group(1)}")
        if "Initial resource acquisition complete" in line:
            self.marks.setdefault(name, set()).add("resources")

    def start(self, web):
        self.marks = {}
        for name, node in web.nodes.items():
            d = os.path.join(node.dir, "heartbeat")
            out = open(os.path.join(d, "stdout.log"), "a")
            web.lab.spawn(node.ns, ["unshare", "--uts", "--mount", "sh",
                                    os.path.join(d, "run.sh")], stdout=out, stderr=out)
            out.close()

    def settled(self, web):
        preferred = self.names[0]
        for name in self.names:
            marks = self.marks.get(name, set())
            if "resources" not in marks or any(f"active {n}" not in marks
                                               for n in self.names if n != name):
                return False
        return self._serving(web, preferred)

    def pids(self, web, name):
        return [("heartbeat", pid) for pid in processes_named(web.nodes[name].ns, "heartbeat")]

    def log(self, web, name):
        try:
            with open(os.path.join(web.nodes[name].dir, "heartbeat", "ha-log.txt")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


def missing_package(driver_cls):
    """Why a driver cannot run here (its package is not installed), or None."""
    if not os.access(driver_cls.binary, os.X_OK):
        pkg = {"keepalived": "keepalived", "heartbeat": "heartbeat"}[driver_cls.name]
        return (f"{driver_cls.binary} not found: install Debian's {pkg} package "
                f"(scripts/install-deps.sh does)")
    return None

