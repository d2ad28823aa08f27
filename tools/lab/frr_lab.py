"""The l3 lab: the reference scenario of netns_lab.WebLab with the service
address routed instead of on the LAN (docs/bgp.md).

  client c --(10.213.9.0/24)-- router r --(the LAN sw, 10.213.7.0/24)-- nodes a, b

The router runs FRR's bgpd (AS 65000; + bfdd); every node runs FRR's zebra
and bgpd (AS 65100; + bfdd) beside tachyd, tachy-actions and apache2, and
peers with the router over hb0, the link its heartbeats use too. haresources
holds `a BGP::10.213.8.100 httpd`: tachy-actions puts the /32 on tachy-own
(redistributed with the AS path prepended twice) or, when it takes the
group after a death, on tachy-take (not prepended: strictly preferred), and
the router routes the client to whichever node announces the best path.
The client reaches the address only through the router.

FRR runs one set of daemons per namespace, each with its own folder (vty
sockets, zserv.api, pid files): zebra first, then bgpd (and bfdd). Needs
root and Debian's frr package (frr_missing() says what is missing).

A crash here freezes every process of the node, then takes its link down,
then kills them: a crashed host sends no TCP FIN, so the router keeps the
dead node's route until BFD or the hold timer says otherwise.
"""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import time

from netns_lab import IpMonitor, WebLab, kill_all, mono_ns, netns_pids, sh

FRR_DIR = "/usr/lib/frr"
ROUTER_AS, NODE_AS = 65000, 65100
LAN = WebLab.SUBNET              # 10.213.7: nodes .1, .2, ...; router .254
CLIENT_NET = "10.213.9"          # client .50, router .1
SERVICE_NET = "10.213.8"         # the routed service addresses
ROUTER_LAN_IP = f"{LAN}.254"
# Hold timer 3 s (keepalive 1 s): the router forgets a dead node's stale
# route after 3 s without BFD; FRR's default would be 180 s.
BGP_TIMERS = " timers 1 3\n timers connect 1\n"


def frr_missing():
    """What keeps this lab from running here, or None."""
    for daemon in ("zebra", "bgpd", "bfdd"):
        if not os.access(os.path.join(FRR_DIR, daemon), os.X_OK):
            return f"{FRR_DIR}/{daemon} not found (apt-get install frr)"
    if shutil.which("vtysh") is None:
        return "vtysh not found (apt-get install frr)"
    return None


def node_bgpd_conf(name, router_id, bfd=None, update_log=None):
    """A node's bgpd.conf: tachy-take's /32s as they are, tachy-own's
    prepended. The route-map comes before `router bgp`: bgpd evaluates
    redistribution as it reads the file, and a route-map not yet defined
    denies everything for seconds. `update_log`: a file where bgpd logs
    every UPDATE it sends, with microseconds (BgpWebLab.update_sent)."""
    # The node's side of BFD needs the same intervals: the router's
    # detection time is its multiplier times the slower of the two.
    bfd_line = f" neighbor {ROUTER_LAN_IP} bfd profile tachylab\n" if bfd else ""
    debug = (f"log file {update_log} debugging\nlog timestamp precision 6\n"
             "debug bgp updates out\n") if update_log else ""
    return (f"hostname {name}\n" + debug +
            "route-map TACHY permit 10\n match interface tachy-take\nexit\n"
            "route-map TACHY permit 20\n match interface tachy-own\n"
            f" set as-path prepend {NODE_AS} {NODE_AS}\nexit\n"
            "route-map TACHY deny 30\nexit\n"
            f"router bgp {NODE_AS}\n bgp router-id {router_id}\n"
            " no bgp ebgp-requires-policy\n no bgp network import-check\n"
            f" neighbor {ROUTER_LAN_IP} remote-as {ROUTER_AS}\n"
            + BGP_TIMERS.replace(" timers", f" neighbor {ROUTER_LAN_IP} timers")
            + bfd_line +
            " address-family ipv4 unicast\n  redistribute connected route-map TACHY\n"
            " exit-address-family\nexit\n")


def router_bgpd_conf(node_ips, bfd=None):
    """The router's bgpd.conf; `bfd` = (interval ms, multiplier) or None."""
    lines = [f"hostname r\nrouter bgp {ROUTER_AS}\n bgp router-id {ROUTER_LAN_IP}\n"
             " no bgp ebgp-requires-policy\n"
             f" neighbor NODES peer-group\n neighbor NODES remote-as {NODE_AS}\n"
             + BGP_TIMERS.replace(" timers", " neighbor NODES timers")]
    if bfd:
        lines.append(" neighbor NODES bfd profile tachylab\n")
    for ip in node_ips:
        lines.append(f" neighbor {ip} peer-group NODES\n")
    lines.append("exit\n")
    return "".join(lines)


def bfdd_conf(bfd):
    interval, multiplier = bfd or (300, 3)
    return (f"bfd\n profile tachylab\n  receive-interval {interval}\n"
            f"  transmit-interval {interval}\n  detect-multiplier {multiplier}\n"
            " exit\nexit\n")


class Frr:
    """FRR's daemons in one namespace, each with its own folder."""

    def __init__(self, lab, ns, folder):
        self.lab, self.ns, self.dir = lab, ns, folder
        self.procs = []
        self.started = 0.0  # time.monotonic() of the last start()

    def start(self, bgpd_conf, bfd=None):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o777)  # the daemons drop to user frr for some files
        confs = {"zebra": "hostname z\n", "bfdd": bfdd_conf(bfd), "bgpd": bgpd_conf}
        for name, text in confs.items():
            with open(os.path.join(self.dir, f"{name}.conf"), "w") as f:
                f.write(text)
        self.procs = []
        self.started = time.monotonic()
        try:  # a killed zebra's socket: bgpd would find it and not wait
            os.unlink(os.path.join(self.dir, "zserv.api"))
        except FileNotFoundError:
            pass
        for name in ("zebra", "bfdd", "bgpd"):
            argv = [os.path.join(FRR_DIR, name), "-u", "root", "-g", "frrvty",
                    "--vty_socket", self.dir, "-z", os.path.join(self.dir, "zserv.api"),
                    "-P", "0", "-f", os.path.join(self.dir, f"{name}.conf"),
                    "-i", os.path.join(self.dir, f"{name}.pid")]
            if name == "bfdd":
                argv += ["--bfdctl", os.path.join(self.dir, "bfdd.sock")]
            out = open(os.path.join(self.dir, f"{name}.log"), "a")
            self.procs.append(self.lab.spawn(self.ns, argv, stdout=out, stderr=subprocess.STDOUT))
            out.close()
            if name == "zebra":
                self._wait_file("zserv.api", 10)

    def _wait_file(self, name, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(os.path.join(self.dir, name)):
                return
            time.sleep(0.02)
        raise RuntimeError(f"FRR in {self.ns}: no {name} after {timeout} s:\n{self.logs()}")

    def vtysh(self, command, timeout=10):
        r = subprocess.run(["ip", "netns", "exec", self.ns, "vtysh", "--vty_socket", self.dir,
                            "-c", command], capture_output=True, text=True, timeout=timeout)
        return r.stdout

    def established(self):
        """Neighbour address -> seconds its session has been Established."""
        try:
            summary = json.loads(self.vtysh("show bgp ipv4 unicast summary json") or "{}")
        except ValueError:
            return {}
        out = {}
        for ip, peer in summary.get("peers", {}).items():
            if peer.get("state") == "Established":
                out[ip] = peer.get("peerUptimeMsec", 0) / 1000
        return out

    def logs(self):
        text = ""
        for name in ("zebra", "bfdd", "bgpd"):
            try:
                with open(os.path.join(self.dir, f"{name}.log")) as f:
                    text += f"--- {self.ns} {name} ---\n" + f.read()[-2000:]
            except OSError:
                pass
        return text


class BgpWebLab(WebLab):
    """WebLab over BGP (see the module's docstring). `bfd`: (interval ms,
    multiplier) of the router's BFD sessions with the nodes, or None."""

    VIP_DEVICES = ("tachy-own", "tachy-take")

    def __init__(self, lab, bfd=None, log_updates=False, **kw):
        if kw.get("impair_bridge"):
            raise ValueError("the l3 lab runs on the kernel's bridge (no --path impair)")
        super().__init__(lab, **kw)
        self.bfd = bfd
        self.log_updates = log_updates
        self.vip = f"{SERVICE_NET}.100"
        names = list(self.nodes)
        for node in self.nodes.values():
            with open(os.path.join(node.dir, "haresources"), "w") as f:
                resources = "" if self.service == "hot" else " httpd"
                f.write(f"# the l3 lab: {names[0]} prefers the routed address\n"
                        f"{names[0]} BGP::{self.vip}{resources}\n")
        sw = f"{lab.prefix}sw"
        self.router_ns = lab.ns("r")
        # The client leaves the LAN: it reaches the service through the router.
        sh("ip", "-n", self.client_ns, "link", "del", "hb0")
        lab.veth(self.client_ns, "hb0", self.router_ns, "cl0", f"{CLIENT_NET}.50",
                 f"{CLIENT_NET}.1")
        sh("ip", "-n", self.client_ns, "route", "add", "default", "via", f"{CLIENT_NET}.1")
        lab.veth(self.router_ns, "hb0", sw, "pr", ROUTER_LAN_IP)
        sh("ip", "-n", sw, "link", "set", "pr", "master", "br0")
        for ns in (self.router_ns,):
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
            # Replies leave by the router's default route, not the way in.
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0")
        for node in self.nodes.values():
            self._route_to_client(node)
        self.router = Frr(lab, self.router_ns, os.path.join(lab.tmp, "frr-r"))
        self.frr = {name: Frr(lab, node.ns, os.path.join(node.dir, "frr"))
                    for name, node in self.nodes.items()}
        self.router.start(router_bgpd_conf([n.ip for n in self.nodes.values()], bfd), bfd)
        for name, node in self.nodes.items():
            self.frr[name].start(self._node_conf(name), bfd)

    def _node_conf(self, name):
        log = os.path.join(self.frr[name].dir, "updates.log") if self.log_updates else None
        return node_bgpd_conf(name, self.nodes[name].ip, self.bfd, log)

    def update_sent(self, name, since_ns):
        """When node `name`'s bgpd first sent an UPDATE for the service
        address after `since_ns` (CLOCK_MONOTONIC ns; from its debug log,
        wall clock to the microsecond), or None (log_updates off)."""
        path = os.path.join(self.frr[name].dir, "updates.log")
        try:
            with open(path, errors="replace") as f:
                lines = f.readlines()
        except OSError:
            return None
        offset = time.time_ns() - mono_ns()
        for line in lines:
            m = re.match(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) .* send UPDATE (\S+)", line)
            if not m or m.group(2) != f"{self.vip}/32":
                continue
            wall = datetime.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S.%f").timestamp()
            t = int(wall * 1e9) - offset
            if t > since_ns:
                return t
        return None

    def _route_to_client(self, node):
        # Replies go back through the router (the kernel drops this route
        # whenever hb0 goes down).
        sh("ip", "-n", node.ns, "route", "replace", f"{CLIENT_NET}.0/24", "via", ROUTER_LAN_IP)

    def wait_routing(self, names=None, settle=1.5, timeout=60):
        """Until the router's session with every node in `names` (default:
        all) has been Established for `settle` s: bgpd holds a new
        session's first announcements for about a second."""
        want = {self.nodes[n].ip: self.frr[n] for n in (names or self.nodes)}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            up = self.router.established()
            # A session older than the node's FRR is the crashed one's, not
            # yet timed out at the router: it does not count.
            if all(settle <= up.get(ip, 0) <= time.monotonic() - frr.started
                   for ip, frr in want.items()):
                return
            time.sleep(0.1)
        raise RuntimeError(f"BGP sessions not established after {timeout} s: "
                           f"{self.router.established()}\n" + self.router.logs())

    def watch_routes(self):
        """Starts watching the router's kernel routes (IpMonitor)."""
        self.routes = IpMonitor(self.lab, self.router_ns, "route")

    @property
    def route_events(self):
        return self.routes.events if hasattr(self, "routes") else []

    def route_deleted(self, since_ns, until_ns=None):
        """Whether the router's kernel lost its route to the service
        address (a `Deleted` event) between the two times."""
        for t, line in list(self.route_events):
            if (t > since_ns and (until_ns is None or t < until_ns)
                    and line.startswith(f"Deleted {self.vip} ")):
                return True
        return False

    def route_installed(self, next_hop, since_ns):
        """When the router's kernel first routed the service address via
        `next_hop` after `since_ns` (CLOCK_MONOTONIC ns), or None."""
        for t, line in list(self.route_events):
            # zebra installs through nexthop groups: "VIP nhid N via HOP dev ..."
            if t > since_ns and line.split(" ", 1)[0] == self.vip and f" via {next_hop} " in line:
                return t
        return None

    def wait_bfd(self, names=None, timeout=30):
        """With BFD on, until the router's BFD session with every node in
        `names` (default: all) is up: a crash before that is seen only by
        the hold timer."""
        if not self.bfd:
            return
        want = {self.nodes[n].ip for n in (names or self.nodes)}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                peers = json.loads(self.router.vtysh("show bfd peers json") or "[]")
            except ValueError:
                peers = []
            up = {p.get("peer") for p in peers if p.get("status") == "up"}
            if want <= up:
                return
            time.sleep(0.1)
        raise RuntimeError(f"BFD sessions not up after {timeout} s:\n" + self.router.logs())

    def start(self):
        self.wait_routing()
        self.wait_bfd()
        self.watch_routes()
        super().start()

    def holders(self, live_only=True):
        """Nodes with the service address on any interface (tachy-own or
        tachy-take), by default only those whose link is up."""
        out = []
        for name, node in self.nodes.items():
            if live_only and "state UP" not in sh("ip", "-n", node.ns, "link", "show", "hb0"):
                continue
            if f"inet {self.vip}/" in sh("ip", "-n", node.ns, "-o", "-4", "addr", "show"):
                out.append(name)
        return out

    def router_paths(self):
        """The router's BGP paths for the service address: [(next hop,
        AS path, best)]."""
        try:
            data = json.loads(self.router.vtysh(f"show bgp ipv4 unicast {self.vip}/32 json")
                              or "{}")
        except ValueError:
            return []
        out = []
        for p in data.get("paths", []):
            hops = p.get("nexthops", [{}])
            out.append((hops[0].get("ip"), p.get("aspath", {}).get("string", ""),
                        bool(p.get("bestpath", {}).get("overall"))))
        return out

    def make_links(self, name):
        """tachy-own and tachy-take on node `name` as tachy-actions makes
        them (dummy, else ifb), for runs without tachy (the BFD baseline)."""
        ns = self.nodes[name].ns
        for link in ("tachy-own", "tachy-take"):
            if subprocess.run(["ip", "-n", ns, "link", "show", link],
                              capture_output=True).returncode == 0:
                continue
            if subprocess.run(["ip", "-n", ns, "link", "add", link, "type", "dummy"],
                              capture_output=True).returncode != 0:
                sh("ip", "-n", ns, "link", "add", link, "type", "ifb")
            sh("ip", "-n", ns, "link", "set", link, "up")

    def crash(self, name):
        """Whole-node crash: every process frozen (the time returned), the
        link down, then every process killed: no FIN, no BGP NOTIFICATION
        leaves the node."""
        node = self.nodes[name]
        pids = netns_pids(node.ns)
        t = mono_ns()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        self.lab.link(node.ns, "hb0", up=False)
        kill_all(lambda: netns_pids(node.ns), node.ns, freeze=False)
        if node.proc:
            node.proc.wait(timeout=5)
        return t

    def revive(self, name):
        """A crashed node back: link up, no service address (a rebooted host
        has none), FRR started and its session with the router settled, then
        (hot) apache2 and tachyd."""
        node = self.nodes[name]
        self.revive_routing(name)
        if self.service == "hot":
            self.start_hot_httpd(name)
        node.start()
        node.wait_ready()

    def revive_routing(self, name):
        """Link up, no service address, FRR started, the session settled."""
        node = self.nodes[name]
        self._drop_vip(node)
        self.lab.link(node.ns, "hb0", up=True)
        self._route_to_client(node)
        self.frr[name].start(self._node_conf(name), self.bfd)
        self.wait_routing([name])
        self.wait_bfd([name])

    def clean(self, name):
        super().clean(name)
        self._route_to_client(self.nodes[name])
        self.frr[name].start(self._node_conf(name), self.bfd)

    def logs(self):
        return self.router.logs() + "".join(f.logs() for f in self.frr.values())


def measure_floor(web, node_name, trials, progress=print, address=None):
    """The BGP path's own floor: `ip addr add X/32 dev tachy-take` by hand on
    `node_name` (apache2 started there for it, stopped afterwards) to the
    client's first page from X. Returns one ms figure per trial (None: no
    page within 5 s)."""
    address = address or f"{SERVICE_NET}.200"
    node = web.nodes[node_name]
    own_httpd = web.apache_pid(node_name) is None
    if own_httpd:
        web.start_hot_httpd(node_name)
    out = []
    try:
        for i in range(trials):
            probe = web.follow_probe(duration=8, ip=address)
            time.sleep(0.2)
            t = mono_ns()
            sh("ip", "-n", node.ns, "addr", "add", f"{address}/32", "dev", "tachy-take")
            deadline = time.monotonic() + 5
            first = None
            while time.monotonic() < deadline and first is None:
                for a in list(probe.answers):
                    if a["page"] == f"node {node_name}" and a["t_ns"] > t:
                        first = (a["t_ns"] - t) / 1e6
                        break
                time.sleep(0.005)
            probe.stop()
            sh("ip", "-n", node.ns, "addr", "del", f"{address}/32", "dev", "tachy-take",
               check=False)
            out.append(first)
            progress(f"floor {i + 1}/{trials}: " +
                     ("no page" if first is None else f"{first:.1f} ms"))
            # Until the router has withdrawn it again.
            wait = time.monotonic() + 5
            while time.monotonic() < wait and address in sh(
                    "ip", "-n", web.router_ns, "route", "show", f"{address}/32"):
                time.sleep(0.01)
    finally:
        if own_httpd:
            web.httpd(node_name, "stop")
    return out
