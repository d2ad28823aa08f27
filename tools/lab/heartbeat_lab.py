"""heartbeat_lab: real Heartbeat 3.0.6 nodes next to tachy nodes in network
namespaces, for interoperability tests (README: moving from Heartbeat 3).

Builds on netns_lab (its Lab, Node, WebLab, APACHE_CONF, HTTPD_SCRIPT): the
same prefix-and-PID naming, the same clean-up on exit and on failure.

Each node, Heartbeat or tachy, is a small "host": its own network namespace
(from the Lab) and, inside it, its own UTS and mount namespace
(`unshare --uts --mount --propagation private`), so that `uname -n` is the
node's name and /etc/ha.d, /var/lib/heartbeat, /run and /var/log are private
bind mounts of directories under the lab's temp dir. Nothing of the real
host's /etc/ha.d, /var/lib/heartbeat, /run or /var/log is read or written.

What Heartbeat 3.0.6 (Debian 1:3.0.6-13+b2) needs, found by trying:
  * the daemon is /usr/libexec/heartbeat/heartbeat (-f: stay in the
    foreground, as the systemd unit runs it); hb_standby and hb_takeover are
    /usr/share/heartbeat/hb_standby and hb_takeover (shell scripts that write
    into /var/lib/heartbeat/fifo);
  * /etc/ha.d must be the package's tree (harc, shellfuncs, rc.d/,
    resource.d/IPaddr and friends) plus ha.cf, haresources, authkeys (0600)
    and our resource.d/httpd;
  * /var/lib/heartbeat: the package's directories; Heartbeat writes hb_uuid,
    hb_generation, hostcache, delhostcache and the fifo there. It is kept
    across restarts of a node (a restart gets generation + 1, as in real
    life), never copied from the real host (a copied hb_uuid would make two
    nodes one);
  * /run (a fresh one per start, as after a boot): heartbeat.pid,
    heartbeat/ (hacluster:haclient 0750, with ccm/ crm/ dopd/ as tmpfiles.d
    makes them), heartbeat/rsctmp (Heartbeat makes it), resource-agents/
    (the OCF agents' HA_RSCTMP), lock/;
  * /var/log: ha-log and ha-debug, from ha.cf's logfile and debugfile
    (`use_logd no`, `logfacility none`: nothing goes to the real syslog);
  * the haclient group and hacluster user come with the package; no
    /usr/lib/ocf copy is needed (the real one is used read-only);
  * harmless noise: `udpport 694` makes Heartbeat print "udpport setting
    must precede media statements" to stderr (it parses ha.cf twice; the
    second pass sees the media of the first) wherever the line is, and the
    sandbox's hard RLIMIT_MEMLOCK (8 MB, not raisable here) gives one
    "ERROR: Cannot lock ourselves into memory" per start. Neither names a
    peer.

Measured here (2 vCPUs, keepalive 1, deadtime 5, initdead 10, two Heartbeat
nodes): both started together, test001 serves after 12.5-14 s (RQSTDELAY
10 s after comm-up); after a SIGKILL of the holder the other serves 5.0-6.1 s
later (deadtime from the last heartbeat, the dead check's grid, ~0.3 s of
scripts); a restarted preferred node serves again 3.3-4.5 s after its start
(auto_failback); hb_standby / hb_takeover move the group in 1.1-2.1 s with
a service gap of 0.7-1.0 s; SIGTERM of the holder: the other serves after
0.6-1.4 s.
"""

import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_lab import (APACHE_CONF, HTTPD_SCRIPT, Node, ProbeRun, WebLab,  # noqa: E402,F401
                       kill_all, mono_ns, netns_pids, sh, wait_gone)

HEARTBEAT = "/usr/libexec/heartbeat/heartbeat"
HB_STANDBY = "/usr/share/heartbeat/hb_standby"
HB_TAKEOVER = "/usr/share/heartbeat/hb_takeover"
PACKAGE_HA_D = "/etc/ha.d"
PACKAGE_VARLIB = "/var/lib/heartbeat"


def heartbeat_missing():
    """Why real Heartbeat cannot run here (a sentence), or None."""
    for path in (HEARTBEAT, HB_STANDBY, HB_TAKEOVER, os.path.join(PACKAGE_HA_D, "harc"),
                 os.path.join(PACKAGE_HA_D, "resource.d", "IPaddr")):
        if not os.path.exists(path):
            return f"{path} is missing (Debian package heartbeat / resource-agents)"
    for tool in ("unshare", "nsenter", "hostname", "mount"):
        if not shutil.which(tool):
            return f"{tool} is missing"
    return None


def private_host_argv(name, mounts, argv):
    """argv that runs `argv` in a new UTS + mount namespace (of the current
    network namespace) whose hostname is `name` and where each
    {path inside: directory outside} of `mounts` is bind-mounted. Every step
    execs, so the process that runs `argv` has the PID of the one started."""
    # ulimit -l: Heartbeat mlock()s itself and logs an ERROR when the limit
    # is too small (a sandbox's default of 8 MB is).
    script = ["set -e", f"hostname {shlex.quote(name)}", "ulimit -l unlimited 2>/dev/null || true"]
    for inside, outside in mounts.items():
        script.append(f"mount --bind {shlex.quote(outside)} {shlex.quote(inside)}")
    script.append('exec "$@"')
    return ["unshare", "--uts", "--mount", "--propagation", "private", "/bin/sh", "-c",
            "; ".join(script), "sh", *argv]


def _copy_dir_tree(src, dst):
    """The directories of `src` (modes and owners), without their files."""
    for dirpath, _dirs, _files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = os.path.normpath(os.path.join(dst, rel))
        os.makedirs(target, exist_ok=True)
        st = os.stat(dirpath)
        os.chown(target, st.st_uid, st.st_gid)
        os.chmod(target, st.st_mode & 0o7777)


def _ids(user, group):
    try:
        return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return 0, 0


def _mkdir(path, mode, owner=(0, 0)):
    os.makedirs(path, exist_ok=True)
    os.chown(path, *owner)
    os.chmod(path, mode)


def _mnt_ns(pid):
    """The inode of the process's mount namespace, or None (gone, zombie)."""
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None


class _PrivateHost:
    """The private directories of one node (see the module doc)."""

    def _init_host(self, conf_dir):
        self.root = os.path.join(conf_dir, "host")
        self.etc = os.path.join(self.root, "etc-ha.d")
        self.varlib = os.path.join(self.root, "var-lib-heartbeat")
        self.run = os.path.join(self.root, "run")
        self.logdir = os.path.join(self.root, "var-log")

    def mounts(self):
        return {"/etc/ha.d": self.etc, "/var/lib/heartbeat": self.varlib, "/run": self.run,
                "/var/log": self.logdir}

    def host_path(self, inside):
        """The path outside of a path as the node sees it (through its
        private mounts), e.g. /var/log/ha-log -> <lab>/test001/host/var-log/ha-log."""
        best = None
        for mp, outside in self.mounts().items():
            if inside == mp or inside.startswith(mp + "/"):
                if best is None or len(mp) > len(best[0]):
                    best = (mp, outside)
        if best is None:
            return inside
        return best[1] + inside[len(best[0]):]

    def _prepare_host(self):
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        if not os.path.isdir(self.varlib):
            _copy_dir_tree(PACKAGE_VARLIB, self.varlib)  # kept across restarts
        _mkdir(self.logdir, 0o755)
        # /run is a tmpfs on a real host: empty after every boot.
        shutil.rmtree(self.run, ignore_errors=True)
        _mkdir(self.run, 0o755)
        hb = _ids("hacluster", "haclient")
        for d in ("heartbeat", "heartbeat/ccm", "heartbeat/crm", "heartbeat/dopd", "crm"):
            _mkdir(os.path.join(self.run, d), 0o750, hb)
        _mkdir(os.path.join(self.run, "resource-agents"), 0o755)
        _mkdir(os.path.join(self.run, "lock"), 0o1777)

    def _pin(self, pid):
        """Remembers the mount namespace of `pid` as the node's, holding it
        open: a namespace's inode number is reused once it is freed (the
        next `ip netns exec` may get it), and a pinned one is not freed."""
        self._unpin()
        fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self._ns_fd, self.mntns = fd, os.fstat(fd).st_ino

    def _unpin(self):
        """Forgets the namespace (call once no process of it is left)."""
        fd = getattr(self, "_ns_fd", None)
        if fd is not None:
            os.close(fd)
        self._ns_fd, self.mntns = None, None

    def pids(self):
        """Every process of this node: all processes of its network
        namespace that are in its private mount namespace (the daemon, its
        children, resource scripts, the httpd it started). Helpers the lab
        runs in the node's network namespace (address monitors) are not."""
        if not self.mntns:
            return []
        return [p for p in netns_pids(self.ns) if _mnt_ns(p) == self.mntns]

    def _kill_everything(self):
        """SIGKILL of every process of the node, frozen first with SIGSTOP so
        that none acts on another's death (a crashed machine sends no
        goodbye). Returns (the CLOCK_MONOTONIC time of the kill, the pids)."""
        t, seen = kill_all(self.pids, f"{self.kind} node {self.name}", tries=100)
        self._reap_processes()
        wait_gone(seen, 5)
        self._unpin()
        return t, seen

    def _reap_processes(self):
        """Collects the exit of our own child and of every lab process."""
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for p in self.lab.procs:
            p.poll()

    def ha_cf_value(self, key, default=None):
        """A directive of the node's ha.cf (first occurrence), or default."""
        try:
            with open(os.path.join(self.dir, "ha.cf")) as f:
                for line in f:
                    words = line.split("#", 1)[0].split()
                    if len(words) >= 2 and words[0].lower() == key:
                        return " ".join(words[1:])
        except OSError:
            pass
        return default


class HeartbeatNode(_PrivateHost):
    """Real Heartbeat 3.0.6 on one node of a netns_lab.Lab, in network
    namespace `ns`, with its own UTS + mount namespace.

    `conf_dir` holds the files the caller gives it, the same files a tachy
    node would use: ha.cf, haresources, authkeys and resource.d/*. start()
    copies them over a copy of the package's /etc/ha.d, which becomes the
    node's /etc/ha.d. ha.cf must name a `logfile` (and may name a `debugfile`)
    under /var/log, so log() can read it."""

    kind = "heartbeat"
    CONFIG_FILES = ("ha.cf", "haresources", "authkeys")

    def __init__(self, lab, name, ns, conf_dir):
        self.lab, self.name, self.ns, self.dir = lab, name, ns, conf_dir
        self._init_host(conf_dir)
        self.out_path = os.path.join(conf_dir, "heartbeat.out")  # its stdout + stderr
        self.proc = None    # `ip netns exec ... unshare ... heartbeat -f`: the master's PID
        self.master = None  # PID of the master control process
        self._ns_fd = self.mntns = None  # its mount namespace (held open; inode)
        self.starts = 0

    # -- files ---------------------------------------------------------------

    @property
    def log_path(self):
        return self.host_path(self.ha_cf_value("logfile", "/var/log/ha-log"))

    @property
    def debug_path(self):
        d = self.ha_cf_value("debugfile")
        return self.host_path(d) if d else None

    def _prepare_etc(self):
        shutil.rmtree(self.etc, ignore_errors=True)
        shutil.copytree(PACKAGE_HA_D, self.etc, symlinks=True)
        os.chmod(self.etc, 0o755)
        for f in self.CONFIG_FILES:
            src = os.path.join(self.dir, f)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(self.etc, f))
                os.chmod(os.path.join(self.etc, f), 0o600 if f == "authkeys" else 0o644)
        rd = os.path.join(self.dir, "resource.d")
        if os.path.isdir(rd):
            for f in os.listdir(rd):
                dst = os.path.join(self.etc, "resource.d", f)
                shutil.copyfile(os.path.join(rd, f), dst)
                os.chmod(dst, 0o755)
        logfile = self.ha_cf_value("logfile")
        if not logfile or not logfile.startswith("/var/log/"):
            raise ValueError(f"{self.name}: ha.cf needs a `logfile` under /var/log "
                             f"(got {logfile!r})")

    # -- processes -----------------------------------------------------------

    def start(self, timeout=15.0):
        """Starts Heartbeat; returns once its master control process runs
        in its private namespaces (not once it serves: see wait_log)."""
        if self.running():
            raise RuntimeError(f"heartbeat {self.name} already runs: {self.pids()}")
        self._prepare_host()
        self._prepare_etc()
        self.starts += 1
        with open(self.out_path, "a") as out:
            out.write(f"--- start {self.starts} at CLOCK_MONOTONIC {mono_ns()} ---\n")
            out.flush()
            self.proc = self.lab.spawn(self.ns, private_host_argv(self.name, self.mounts(),
                                                                  [HEARTBEAT, "-f"]),
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        pidfile = os.path.join(self.run, "heartbeat.pid")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"heartbeat {self.name} exited {self.proc.returncode} at "
                                   "start:\n" + self.diagnostics())
            try:
                with open(pidfile) as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pid = None
            if pid and _mnt_ns(pid):
                try:
                    self._pin(pid)
                except OSError:
                    time.sleep(0.02)
                    continue
                self.master = pid
                return self
            time.sleep(0.02)
        raise RuntimeError(f"heartbeat {self.name} wrote no pid file in {timeout}s:\n"
                           + self.diagnostics())

    def running(self):
        return bool(self.pids())

    def master_alive(self):
        return self.master is not None and _mnt_ns(self.master) == self.mntns

    def kill(self):
        """SIGKILL of every process of this Heartbeat instance (frozen first
        with SIGSTOP, so none acts on another's death), the httpd it
        started included. Returns the CLOCK_MONOTONIC time of the kill."""
        t, _ = self._kill_everything()
        self.master = None
        self._kill_stray_httpd()
        return t

    def _reap(self):
        self._reap_processes()
        self.master = None

    def _kill_stray_httpd(self):
        """An apache2 of this node that runs outside the mount namespace (the
        pid file says so; started by hand) goes too; its pid file goes."""
        pidfile = os.path.join(self.dir, "apache.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            if pid in netns_pids(self.ns):
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        try:
            os.unlink(pidfile)
        except FileNotFoundError:
            pass

    def terminate(self):
        """SIGTERM to the master control process (Heartbeat's clean
        shutdown: it gives up its groups, sends shutdone, exits some seconds
        later). Returns the CLOCK_MONOTONIC time of the signal."""
        if not self.master_alive():
            raise RuntimeError(f"heartbeat {self.name} does not run")
        t = mono_ns()
        os.kill(self.master, signal.SIGTERM)
        return t

    def wait_exit(self, timeout=30.0):
        """Waits until every process of the instance is gone; True if so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pids():
                self._reap()
                self._unpin()
                return True
            time.sleep(0.05)
        return False

    def stop(self, timeout=30.0):
        """Clean shutdown (SIGTERM), waited for, bounded: past `timeout`
        whatever is left is killed and RuntimeError raised. Returns the
        seconds it took."""
        if not self.running():
            return 0.0
        t0 = time.monotonic()
        if self.master_alive():
            self.terminate()
        if not self.wait_exit(timeout):
            left = self.pids()
            self.kill()
            raise RuntimeError(f"heartbeat {self.name} still ran {timeout}s after SIGTERM "
                               f"(killed {left}):\n" + self.diagnostics())
        return time.monotonic() - t0

    def restart(self, timeout=30.0):
        self.stop(timeout)
        return self.start()

    def _in_node(self, argv, timeout=30):
        if not self.master_alive():
            raise RuntimeError(f"heartbeat {self.name} does not run")
        return subprocess.run(["nsenter", "-t", str(self.master), "-n", "-u", "-m", *argv],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def standby(self, scope="all"):
        """hb_standby SCOPE (all|local|foreign|failback) on this node; the
        CompletedProcess."""
        return self._in_node([HB_STANDBY, scope])

    def takeover(self, scope="all"):
        """hb_takeover SCOPE on this node; the CompletedProcess."""
        return self._in_node([HB_TAKEOVER, scope])

    def cl_status(self, *args):
        """/usr/bin/cl_status ARGS on this node (Heartbeat's API client)."""
        return self._in_node(["cl_status", *args], timeout=10)

    # -- logs ----------------------------------------------------------------

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def mark(self):
        """A position in the log: wait_log(..., since=mark()) sees only what
        comes after."""
        return len(self.log())

    def wait_log(self, regex, timeout=10.0, since=0):
        """The first match of `regex` in the log (after offset `since`), or
        None after `timeout` seconds."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        while True:
            m = pattern.search(self.log(), since)
            if m or time.monotonic() >= deadline:
                return m
            time.sleep(0.1)

    def diagnostics(self, tail=4000):
        out = ""
        for label, path in (("heartbeat.out", self.out_path), ("ha-log", self.log_path)):
            try:
                with open(path, errors="replace") as f:
                    out += f"--- {self.name} {label} ---\n" + f.read()[-tail:]
            except OSError:
                pass
        return out


class TachyNode(_PrivateHost, Node):
    """netns_lab's Node (tachyd, which starts tachy-actions), but on a
    private host like a HeartbeatNode's: its own hostname, and the shared
    ha.cf's logfile/debugfile (/var/log/...) land in its private /var/log
    instead of the real host's. /etc/ha.d is the node's config dir itself;
    /var/lib/heartbeat is a private directory (empty: a node that never ran
    Heartbeat, unless the caller puts hb_uuid/hb_generation there)."""

    kind = "tachy"

    def __init__(self, lab, name, ns, conf_dir):
        Node.__init__(self, lab, name, ns, conf_dir)
        self._init_host(conf_dir)
        self.etc = conf_dir
        self._ns_fd = self.mntns = None

    def start(self, extra_args=(), output=None):
        self._prepare_host()
        log = open(self.log_path, "a") if output is None else output
        actions = [] if os.path.exists(os.path.join(self.dir, "haresources")) else ["--no-actions"]
        argv = [self.lab.tachyd, "-c", self.dir, "--node", self.name, "--state-dir",
                self.state_dir, "--socket", self.socket, *actions, *extra_args]
        self._unpin()
        self.proc = self.lab.spawn(self.ns, private_host_argv(self.name, self.mounts(), argv),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if output is None:
            log.close()
        return self

    def wait_ready(self, timeout=5.0):
        st = Node.wait_ready(self, timeout)
        self._pin(self.proc.pid)  # tachyd's, now surely the private one
        return st

    def kill_node(self):
        """SIGKILL of tachyd, tachy-actions, their children and the httpd,
        all at once. Returns the CLOCK_MONOTONIC time of the kill."""
        if self.mntns is None and self.running():
            self._pin(self.proc.pid)  # started, never waited for ready
        return self._kill_everything()[0]

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ha_log(self):
        """What tachyd wrote to the shared ha.cf's logfile (its private copy)."""
        path = self.host_path(self.ha_cf_value("logfile", "/var/log/ha-log"))
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def diagnostics(self, tail=6000):
        return f"--- {self.name} tachyd.log ---\n" + self.log()[-tail:]


AUTHKEYS = "auth 2\n2 sha1 testpass\n"


def mixed_ha_cf(nodes, media, ips, keepalive=1, deadtime=5, warntime=2, initdead=10,
                auto_failback="on", udpport=694, iface="hb0"):
    """The one ha.cf every node of a MixedLab gets, in Heartbeat syntax."""
    if media == "bcast":
        media_lines = [f"bcast {iface}"]
    elif media == "ucast":
        # Identical files: a ucast line to every node, itself included
        # (Heartbeat drops its own copy as a duplicate).
        media_lines = [f"ucast {iface} {ips[n]}" for n in nodes]
    else:
        raise ValueError(f"media must be bcast or ucast: {media!r}")
    lines = ["# MixedLab: the same file on every node, Heartbeat or tachy",
             "logfile /var/log/ha-log", "debugfile /var/log/ha-debug", "logfacility none",
             "use_logd no", f"keepalive {keepalive}", f"deadtime {deadtime}",
             f"warntime {warntime}", f"initdead {initdead}", f"udpport {udpport}", *media_lines,
             f"auto_failback {auto_failback}", "crm no", f"node {' '.join(nodes)}"]
    return "\n".join(lines) + "\n"


# Heartbeat's ERROR/WARN/CRIT lines that mean a peer broke the protocol,
# whichever node they name.
INTEROP_TROUBLE = (
    r"Both machines own", r"No one owns", r"live_node_count too big",
    r"authtoken does not match", r"netstring authentication failed", r"replay attack",
    r"returning after partition", r"bad node", r"missing seqno", r"lost a lot of packets",
    r"No reply to standby request", r"standby message .* ignored", r"Ignored standby message",
    r"Standby in progress", r"Message hist queue", r"messages in queue",
    r"Deadtime value may be too small",
)


def heartbeat_complaints(log_text, peer, allowed=()):
    """The ERROR/WARN/CRIT lines of a Heartbeat log that name `peer` (as a
    node: "node X", "[X]", "'X'", "X:") or match INTEROP_TROUBLE, minus those
    matching a regex of `allowed`. The `flow control disabled` line is info,
    so never among them."""
    name = re.escape(peer)
    about_peer = re.compile(rf"(?<![\w.-]){name}(?![\w.-])")
    trouble = re.compile("|".join(INTEROP_TROUBLE))
    out = []
    for line in log_text.splitlines():
        if not re.search(r"\b(ERROR|WARN|CRIT)\b", line):
            continue
        if not (about_peer.search(line) or trouble.search(line)):
            continue
        if any(re.search(a, line) for a in allowed):
            continue
        out.append(line)
    return out


class HolderMonitor:
    """`ip -ts monitor address` in every node's namespace while a move
    runs: the kernels' own record of who added and removed the VIP, so an
    overlap (two holders at once) is seen even if it lasts a millisecond."""

    def __init__(self, web):
        self.web = web
        self.start_holders = set(web.holders(live_only=False))
        self.mons = {n: web.lab.spawn(node.ns, ["ip", "-ts", "monitor", "address"],
                                      stdout=subprocess.PIPE, text=True)
                     for n, node in web.nodes.items()}
        time.sleep(0.2)

    def stop(self):
        """{node: [(iso time, "add"|"del")]} of the VIP, in order."""
        out = {}
        for n, m in self.mons.items():
            m.terminate()
            try:
                lines = m.communicate(timeout=5)[0].splitlines()
            except subprocess.TimeoutExpired:
                m.kill()
                lines = []
            out[n] = [(line[1:line.index("]")],
                       "del" if line.split("] ", 1)[-1].startswith("Deleted") else "add")
                      for line in lines if self.web.vip + "/" in line and "]" in line]
        self.changes = out
        return out

    def overlaps(self):
        """The instants at which more than one node had the VIP: [(time,
        holders)]. Call after stop()."""
        events = sorted((t, n, what) for n, evs in self.changes.items() for t, what in evs)
        holders = set(self.start_holders)
        bad = []
        for t, n, what in events:
            if what == "add":
                holders.add(n)
            else:
                holders.discard(n)
            if len(holders) > 1:
                bad.append((t, sorted(holders)))
        return bad


def longest_gap(answers, since_ns=None, until_ns=None):
    """The longest time without an answer in a probe's answers (ms), from
    `since_ns` (default: the first answer) to `until_ns` (default: the last
    answer), with the pages just before and after it."""
    ts = sorted((a["t_ns"], a["page"]) for a in answers)
    if since_ns is not None:
        before = [x for x in ts if x[0] <= since_ns]
        ts = ([before[-1]] if before else [(since_ns, None)]) + [x for x in ts if x[0] > since_ns]
    if until_ns is not None:
        ts = [x for x in ts if x[0] <= until_ns] + [(until_ns, None)]
    best = (0.0, None, None)
    for (t1, p1), (t2, p2) in zip(ts, ts[1:]):
        if (t2 - t1) / 1e6 > best[0]:
            best = ((t2 - t1) / 1e6, p1, p2)
    return best


class MixedLab(WebLab):
    """Two nodes test001 and test002 (each Heartbeat 3.0.6 or tachy), a
    client and a switch (kernel bridge, namespace `sw`) on 10.66.0.0/24:
    test001 .1, test002 .2, client .50, VIP .100 on hb0. Each node has a
    private apache2 whose page is "node <name>", run by the resource script
    /etc/ha.d/resource.d/httpd (Heartbeat) or <conf>/resource.d/httpd
    (tachy-actions): the same file.

    Every node gets the same ha.cf (mixed_ha_cf), haresources
    (`<preferred> IPaddr::<VIP>/24/hb0 httpd`) and authkeys (`auth 2`,
    `2 sha1 testpass`); a tachy node's lab-only options (state dir,
    socket) are command-line options, not in the shared files.

    The WebLab helpers work unchanged: holders(), wait_holder(), fetch(),
    probe(), follow_probe(), httpd(), ctl() (tachy nodes)."""

    SUBNET = "10.66.0"
    NAMES = ("test001", "test002")
    KINDS = ("heartbeat", "tachy")

    def __init__(self, lab, test001="heartbeat", test002="tachy", media="bcast",
                 preferred="test001", keepalive=1, deadtime=5, warntime=2, initdead=10,
                 auto_failback="on", tachy_args=()):
        kinds = {"test001": test001, "test002": test002}
        for n, k in kinds.items():
            if k not in self.KINDS:
                raise ValueError(f"{n}: kind must be one of {self.KINDS}: {k!r}")
        if preferred not in self.NAMES:
            raise ValueError(f"preferred must be one of {self.NAMES}: {preferred!r}")
        if "tachy" in kinds.values() and not lab.tachyd:
            raise ValueError("a tachy node needs the Lab's tachyd")
        self.lab = lab
        self.service = "restart"
        self.impair_control = None
        self.kinds, self.media, self.preferred = kinds, media, preferred
        self.tachy_args = tuple(tachy_args)  # lab-only tachyd options, never in the shared files
        self.keepalive, self.deadtime, self.warntime, self.initdead = (keepalive, deadtime,
                                                                       warntime, initdead)
        self.vip = f"{self.SUBNET}.100"
        self.ips = {n: f"{self.SUBNET}.{i}" for i, n in enumerate(self.NAMES, start=1)}
        self.ha_cf = mixed_ha_cf(list(self.NAMES), media, self.ips, keepalive, deadtime, warntime,
                                 initdead, auto_failback)
        self.haresources = (f"# MixedLab: {preferred} prefers the VIP and httpd\n"
                            f"{preferred} IPaddr::{self.vip}/24/hb0 httpd\n")
        sw = lab.ns("sw")
        self.client_ns = lab.ns("c")
        lab.veth(self.client_ns, "hb0", sw, "pc", f"{self.SUBNET}.50")
        self._set_mac(self.client_ns, 50)
        ports = ["pc"]
        self.nodes = {}
        for i, name in enumerate(self.NAMES, start=1):
            ns = lab.ns(name)
            lab.veth(ns, "hb0", sw, f"p{name}", self.ips[name])
            self._set_mac(ns, i)
            ports.append(f"p{name}")
            d = lab.write_config(name, self.ha_cf, AUTHKEYS)
            with open(os.path.join(d, "haresources"), "w") as f:
                f.write(self.haresources)
            os.makedirs(os.path.join(d, "resource.d"), exist_ok=True)
            os.makedirs(os.path.join(d, "www"), exist_ok=True)
            os.makedirs(os.path.join(d, "run"), exist_ok=True)
            with open(os.path.join(d, "www", "index.html"), "w") as f:
                f.write(f"node {name}\n")
            with open(os.path.join(d, "apache.conf"), "w") as f:
                f.write(APACHE_CONF.format(name=name, d=d))
            script = os.path.join(d, "resource.d", "httpd")
            with open(script, "w") as f:
                f.write(HTTPD_SCRIPT.format(d=d))
            os.chmod(script, 0o755)
            cls = HeartbeatNode if kinds[name] == "heartbeat" else TachyNode
            node = cls(lab, name, ns, d)
            node.apache_pid = os.path.join(d, "apache.pid")
            node.ip = self.ips[name]
            self.nodes[name] = node
        lab.bridge(sw, "br0", ports)
        # www-data must reach the document root through mkdtemp's 0700 dir.
        os.chmod(lab.tmp, 0o755)
        for node in self.nodes.values():
            os.chmod(node.dir, 0o755)

    def _set_mac(self, ns, host):
        """hb0's MAC from its address (02:00:0a:42:00:<host>), as in the
        interop brief's captures: readable in ARP tables and tachydump."""
        last = [int(x) for x in self.SUBNET.split(".")] + [host]
        mac = "02:00:" + ":".join(f"{x:02x}" for x in last)
        sh("ip", "-n", ns, "link", "set", "hb0", "down")
        sh("ip", "-n", ns, "link", "set", "hb0", "address", mac)
        sh("ip", "-n", ns, "link", "set", "hb0", "up")

    def other(self, name):
        return next(n for n in self.NAMES if n != name)

    def heartbeat_nodes(self):
        return [n for n in self.NAMES if self.kinds[n] == "heartbeat"]

    def tachy_nodes(self):
        return [n for n in self.NAMES if self.kinds[n] == "tachy"]

    def start(self, names=None):
        """Starts the nodes (all by default, together). Returns the
        CLOCK_MONOTONIC time just before the first start."""
        t = mono_ns()
        for name in names or self.NAMES:
            self.start_node(name)
        return t

    def start_node(self, name):
        node = self.nodes[name]
        if node.kind == "tachy":
            node.start(extra_args=self.tachy_args)
            node.wait_ready()
        else:
            node.start()

    def _fence(self, name):
        """What fencing a dead node leaves: no VIP on its hb0, no apache pid."""
        self._drop_vip(self.nodes[name])

    def crash(self, name, link_down=False):
        """Whole-node crash, as a fenced node: every process of the node
        (Heartbeat's, or tachyd + tachy-actions, and its httpd) SIGKILLed,
        then the VIP it left removed. Returns the CLOCK_MONOTONIC time of the
        kill."""
        node = self.nodes[name]
        t = node.kill() if node.kind == "heartbeat" else node.kill_node()
        self._fence(name)
        if link_down:
            self.lab.link(node.ns, "hb0", up=False)
        return t

    def revive(self, name):
        """Brings a crashed (or stopped) node back: link up, no stale VIP, its
        daemon started again (Heartbeat with the /var/lib/heartbeat it had:
        a new generation)."""
        node = self.nodes[name]
        self._fence(name)
        self.lab.link(node.ns, "hb0", up=True)
        self.start_node(name)

    def terminate(self, name):
        """SIGTERM to the node's daemon (Heartbeat's master control process,
        or tachyd): a clean shutdown. Returns the CLOCK_MONOTONIC time."""
        node = self.nodes[name]
        if node.kind == "heartbeat":
            return node.terminate()
        return node.signal(signal.SIGTERM)

    def wait_exit(self, name, timeout=30.0):
        """Waits until the node's daemons are gone after terminate(); True if
        so. A tachy node counts as gone when tachyd has exited and no
        tachy-actions is left."""
        node = self.nodes[name]
        if node.kind == "heartbeat":
            return node.wait_exit(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.proc.poll() is not None and self.actions_pid(name) is None:
                return True
            time.sleep(0.05)
        return False

    def stop_node(self, name, timeout=30.0):
        """Clean shutdown, waited for; past `timeout` the node is crashed and
        RuntimeError raised."""
        self.terminate(name)
        if not self.wait_exit(name, timeout):
            self.crash(name)
            raise RuntimeError(f"{name} still ran {timeout}s after SIGTERM")

    def standby(self, name, scope="all"):
        """The node's own standby command: hb_standby on a Heartbeat node,
        `tachyctl standby` on a tachy node; the CompletedProcess."""
        node = self.nodes[name]
        if node.kind == "heartbeat":
            return node.standby(scope)
        return self.ctl(name, "standby", scope)

    def takeover(self, name, scope="all"):
        """hb_takeover / `tachyctl takeover` on the node; the CompletedProcess."""
        node = self.nodes[name]
        if node.kind == "heartbeat":
            return node.takeover(scope)
        return self.ctl(name, "takeover", scope)

    def wait_holder(self, name, timeout=10.0):
        """True once `name` is the only node with the VIP and the client
        gets its page; bounded by `timeout` (each fetch by 1 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.holders() == [name] and self.fetch(timeout=1) == f"node {name}":
                return True
            time.sleep(0.05)
        return False

    def watch_holders(self):
        """A HolderMonitor over the nodes (stop() it after the move)."""
        return HolderMonitor(self)

    def release(self):
        """Lets go of the nodes' pinned mount namespaces (after Lab.close(),
        which killed their processes)."""
        for node in self.nodes.values():
            node._unpin()

    def diagnostics(self):
        out = ""
        for name, node in self.nodes.items():
            out += node.diagnostics()
            out += self.httpd_log(name)
        return out
