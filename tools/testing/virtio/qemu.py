#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under QEMU: the one place that builds QEMU command lines.

A scenario is a machine, a virtio-blk and a virtio-rng device with their
properties, and the guest tests to run on them (vtest=a,b,c on the kernel
command line, see guest/init).  Each boot gets a fresh 64 MiB raw disk image
in BUILD, its serial console goes to BUILD/logs/<scenario>.log, and QEMU's
QMP monitor listens on BUILD/qmp-<scenario>.sock: when the guest prints
"VTEST HOST <action> <args...>" (HOST_ACTIONS: block_resize <bytes>,
set_link <netdev> on|off), this script performs it there and logs a
"qemu.py: host action ..." line; the guest polls for the effect.

Library:
    import qemu
    boot = qemu.boot(qemu.SCENARIOS["modern"], build, kunit=True)
    boot.log, boot.failure()

Command (used by `make run` and `make shell`):
    qemu.py [--build DIR] [--kunit] [--timeout S] [--quiet] SCENARIO
"""
import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time

import logparse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "guest"))
import fs_pattern  # noqa: E402  (guest/, shared with vtest-init.c's checks)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DISK_BYTES = 64 << 20
TIMEOUT = 300       # seconds for a whole boot
POWEROFF_GRACE = 30  # seconds from "VTEST DONE" to QEMU's exit


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A boot: its machine, a virtio-blk and a virtio-rng, the guest tests."""
    name: str
    tests: str              # the guest's vtest=, e.g. "blk,rng" or "shell"
    interface: str = "modern"   # a key of PCI_INTERFACES
    props: tuple = ()       # more properties of both devices, e.g. ("packed=on",)
    blk_props: tuple = ()   # of the disk only, e.g. ("queue-size=16",)
    append: tuple = ()      # more kernel command-line arguments
    machine: str = ""       # QEMU's -M; default: the guest's
    transport: str = "pci"  # "pci" or "mmio", see device()
    extra: tuple = ()       # more QEMU arguments, e.g. NICs
    interactive: bool = False
    guest: str = "x86_64"   # a key of GUESTS
    taps: int = 0           # queue pairs of host_bridge()'s taps; 0: none
    timeout: int = 0        # seconds the boot may take, if more than the caller's


@dataclasses.dataclass(frozen=True)
class Guest:
    """An architecture: how QEMU boots it, and where `make kernel GUEST=` puts it."""
    qemu: str
    machine: str
    console: str
    image: str      # the kernel QEMU boots, in BUILD
    initrd: str     # in BUILD, from mkinitramfs.sh
    args: tuple = ()


# Cross-built guests run guest/vtest-init.c (blk and rng tests) instead of
# busybox; their disk comes formatted (ext2, guest/fs_pattern.py files).
GUESTS = {
    "x86_64": Guest("qemu-system-x86_64", "q35", "ttyS0",
                    "obj/arch/x86/boot/bzImage", "initramfs.cpio.gz"),
    "arm64": Guest("qemu-system-aarch64", "virt,gic-version=3", "ttyAMA0",
                   "obj-arm64/arch/arm64/boot/Image", "initramfs-arm64.cpio.gz",
                   ("-cpu", "cortex-a57")),
    # Big-endian; the cap-* settings are the speculation mitigations TCG
    # cannot provide, said up front instead of warned about.
    "ppc64": Guest("qemu-system-ppc64",
                   "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,"
                   "cap-ccf-assist=off", "hvc0", "obj-ppc64/vmlinux",
                   "initramfs-ppc64.cpio.gz", ("-cpu", "POWER9")),
}
FS_FILES = 8    # host-made files on a cross guest's disk (vtest.fs_files)


NO_EVENT_NO_INDIRECT = ("event_idx=off", "indirect_desc=off")

def nics(netdev, *props):
    """Two virtio-net NICs; netdev(i) is NIC i's -netdev.  net.sh tells them
    apart by MAC address."""
    return tuple(arg for i in (0, 1) for arg in (
        "-netdev", netdev(i),
        "-device", ",".join((f"virtio-net-pci,netdev=n{i},id=nic{i}",
                             f"mac=52:54:00:99:00:0{i + 1}", "disable-legacy=on",
                             *props))))


# On one QEMU hub the NICs reach each other and nothing else, but QEMU
# offers no offloads and one queue pair on a hub.
HUB_NICS = nics(lambda i: f"hubport,id=n{i},hubid=0")

# Each NIC on a tap, both taps on a bridge in a network namespace of their
# own (host_bridge()): the NICs still reach only each other, and QEMU offers
# what a tap can do -- checksum and TSO offloads, several queue pairs.
TAPS = ("vttap0", "vttap1")
BRIDGE = "vtbr0"


def tap_scenario(name, *props, queues=1, append=(), tests="net"):
    """A net scenario on the tap bridge: props set on both NICs.  16 MiB
    each: the feature paths, not the long transfer (that is net's)."""
    if queues > 1:
        props = (*props, "mq=on", f"vectors={2 * queues + 2}")
    netdev = lambda i: (f"tap,id=n{i},ifname={TAPS[i]},script=no,downscript=no,"
                        f"vhost=off,queues={queues}")
    return Scenario(name, tests, extra=nics(netdev, *props), taps=queues,
                    append=("vtest.net_link=nic0", "vtest.net_mb=16", *append),
                    timeout=900)


SCENARIOS = {s.name: s for s in (
    Scenario("modern", "blk,rng,leaks", append=("vtest.irq=per-queue",)),
    Scenario("transitional", "blk,rng", interface="transitional"),
    Scenario("packed", "blk,rng,leaks", props=("packed=on",)),
    Scenario("split-no-event-no-indirect", "blk,rng", props=NO_EVENT_NO_INDIRECT),
    Scenario("packed-no-event-no-indirect", "blk,rng",
             props=("packed=on", *NO_EVENT_NO_INDIRECT)),
    Scenario("small-queue", "blk,rng", blk_props=("queue-size=16", "event_idx=on")),
    Scenario("legacy", "blk,rng", interface="legacy"),
    Scenario("forced-legacy", "blk,rng", interface="transitional",
             append=("virtio_pci.force_legacy=1",)),
    Scenario("msix-shared", "blk,rng", blk_props=("num-queues=2", "vectors=2"),
             append=("vtest.irq=shared",)),
    Scenario("intx", "blk,rng", blk_props=("num-queues=2", "vectors=0"),
             append=("vtest.irq=intx",)),
    # microvm describes its virtio-mmio devices in ACPI; under TCG the
    # kernel needs to be told the TSC rate or it stalls calibrating it.
    Scenario("mmio-v2", "blk,rng", machine="microvm,acpi=on", transport="mmio",
             extra=("-global", "virtio-mmio.force-legacy=false"),
             append=("tsc_early_khz=2000000",)),
    Scenario("mmio-v1", "blk,rng", machine="microvm,acpi=on", transport="mmio",
             extra=("-global", "virtio-mmio.force-legacy=true"),
             append=("tsc_early_khz=2000000",)),
    # Without ACPI, microvm describes each device on the kernel command
    # line instead (auto-kernel-cmdline): virtio_mmio.device=512@<base>:<irq>.
    Scenario("mmio-cmdline", "blk,rng", machine="microvm,acpi=off", transport="mmio",
             extra=("-global", "virtio-mmio.force-legacy=false"),
             append=("tsc_early_khz=2000000",)),
    # 64 MiB at the 0.4-2 MB/s of TCG: up to 6 minutes.
    Scenario("net", "net,leaks", extra=HUB_NICS, append=("vtest.net_link=nic0",),
             timeout=900),
    # Feature bits (§5.1.3): 0 CSUM, 1 GUEST_CSUM, 7 GUEST_TSO4, 11 HOST_TSO4,
    # 15 MRG_RXBUF, 22 MQ, 34 RING_PACKED; vtest.net_features checks them.
    tap_scenario("net-tap", append=("vtest.net_features=+0,+1,+7,+11,+15",)),
    tap_scenario("net-no-csum", "csum=off", "guest_csum=off",
                 append=("vtest.net_features=-0,-1,-7,-11",)),
    tap_scenario("net-no-tso", "host_tso4=off", "host_tso6=off",
                 "guest_tso4=off", "guest_tso6=off",
                 append=("vtest.net_features=+0,+1,-7,-11",)),
    tap_scenario("net-no-mrg-rxbuf", "mrg_rxbuf=off",
                 append=("vtest.net_features=-15,+7",)),
    # 4 pairs on the device, 2 CPUs in the guest: the driver sets up and
    # uses one pair per CPU and leaves the device's other two alone.
    tap_scenario("net-mq", queues=4, append=("vtest.net_pairs=2", "vtest.net_features=+22")),
    tap_scenario("net-small-queue", "rx_queue_size=256", "tx_queue_size=256",
                 "packed=on", append=("vtest.net_features=+34",)),
    # Cross-built guests (make kernel initramfs GUEST=...): virt on arm64
    # with virtio-mmio (version 2) and PCI; big-endian pseries with legacy
    # (guest-endian) and modern (little-endian) PCI devices.
    Scenario("arm64-mmio", "blk,rng", guest="arm64", transport="mmio",
             extra=("-global", "virtio-mmio.force-legacy=false")),
    Scenario("arm64-pci", "blk,rng", guest="arm64"),
    Scenario("ppc64-legacy", "blk,rng", guest="ppc64", interface="legacy"),
    Scenario("ppc64-modern", "blk,rng", guest="ppc64"),
    Scenario("demo", "demo"),
    Scenario("shell", "shell", interactive=True),
)}

# Properties selecting a PCI device's interfaces.  Without disable-legacy=on,
# on the q35 root bus, QEMU makes transitional devices (legacy and modern).
PCI_INTERFACES = {"modern": ("disable-legacy=on",), "transitional": (),
                  "legacy": ("disable-modern=on",)}


def device(scenario, kind, *props):
    """A -device value: kind ("virtio-blk", "virtio-rng") on the scenario's transport.

    Another transport is one more branch here (MMIO: "{kind}-device", with
    machine="microvm"), another PCI interface one more PCI_INTERFACES entry.
    """
    if scenario.transport == "mmio":
        return ",".join((f"{kind}-device", *props, *scenario.props))
    if scenario.transport != "pci":
        raise ValueError(f"{scenario.name}: unknown transport {scenario.transport!r}")
    return ",".join((f"{kind}-pci", *props, *PCI_INTERFACES[scenario.interface],
                     *scenario.props))


def command(scenario, kernel, initrd, disk, qmp_path, append):
    """The QEMU command line: 2 CPUs, 1 GiB, serial console on stdio, QMP on qmp_path."""
    guest = GUESTS[scenario.guest]
    accel = ["-accel", "tcg"]
    if scenario.guest == "x86_64" and os.access("/dev/kvm", os.R_OK | os.W_OK):
        accel = ["-accel", "kvm", *accel]
    return [
        guest.qemu, "-M", scenario.machine or guest.machine, *guest.args, *accel,
        "-m", "1G", "-smp", "2", "-nographic", "-no-reboot", "-nic", "none",
        "-qmp", f"unix:{qmp_path},server=on,wait=off",
        "-kernel", kernel, "-initrd", initrd, "-append", append,
        "-drive", f"file={disk},format=raw,if=none,id=disk0",
        "-device", device(scenario, "virtio-blk", "drive=disk0", *scenario.blk_props),
        "-object", "rng-random,filename=/dev/urandom,id=rng0",
        "-device", device(scenario, "virtio-rng", "rng=rng0"),
        *scenario.extra,
    ]


# --- Host actions requested by the guest ----------------------------------

HOST_ACTIONS = {    # action -> function of its arguments giving a QMP command
    "block_resize": lambda size: ("block_resize", {"device": "disk0", "size": int(size)}),
    "set_link": lambda netdev, state: (
        "set_link", {"name": netdev, "up": {"on": True, "off": False}[state]}),
}


def qmp(path, command, arguments):
    """Run one QMP command on QEMU's socket; its "return" value, or RuntimeError."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(path)
        stream = sock.makefile("rw")

        def execute(cmd, args):
            stream.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
            stream.flush()
            while line := stream.readline():    # events may come before the reply
                reply = json.loads(line)
                if "error" in reply:
                    raise RuntimeError(reply["error"].get("desc", reply["error"]))
                if "return" in reply:
                    return reply["return"]
            raise RuntimeError("QMP connection closed")

        stream.readline()   # the greeting
        execute("qmp_capabilities", {})
        return execute(command, arguments)


def host_action(qmp_path, action, args):
    """Perform a guest's host action; a console-log line saying how it went."""
    what = "qemu.py: host action " + " ".join((action, *args))
    try:
        cmd, arguments = HOST_ACTIONS[action](*args)
        qmp(qmp_path, cmd, arguments)
    except (KeyError, TypeError):
        return f"{what}: failed: unknown action, or wrong arguments"
    except (ValueError, OSError, RuntimeError) as e:
        return f"{what}: failed: {e}"
    return f"{what}: done (QMP {cmd} {json.dumps(arguments)})"


@dataclasses.dataclass
class Boot:
    scenario: str
    log: str
    log_path: str
    returncode: int
    timed_out: bool
    seconds: float

    def done(self):
        return logparse.reached_done(self.log)

    def failure(self):
        """Why the boot failed (did not reach VTEST DONE), or None."""
        if self.done():
            return None
        if self.timed_out:
            why = f"timed out after {self.seconds:.0f} s"
        else:
            why = f"QEMU exited ({self.returncode}) after {self.seconds:.0f} s"
        last = logparse.last_lines(self.log, 1)
        return f"{why} without VTEST DONE; last line: {last!r}; log: {self.log_path}"


def paths(scenario, build):
    """The scenario's disk image and QMP socket in build."""
    return (os.path.join(build, f"disk-{scenario.name}.img"),
            os.path.join(build, f"qmp-{scenario.name}.sock"))


NETNS = "vtest"    # the network namespace of the tap bridge and of QEMU
NETNS_LOCK = "/run/vtest-netns.lock"    # one tap bridge at a time


def netns_sh(script):
    subprocess.run(["ip", "netns", "exec", NETNS, "sh", "-ec", script], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@contextlib.contextmanager
def host_bridge(queues):
    """TAPS on BRIDGE, with queues queues each, in a network namespace of
    their own for the time of a boot; yields the prefix that runs QEMU there.

    Nothing of the host's networking is in that namespace: no uplink, no
    address, no firewall (bridge netfilter off), IPv6 off, so the guest's
    frames go from one NIC to the other and nowhere else, and the host
    sends none.  Needs root and /dev/net/tun: OSError otherwise.
    """
    taps = " ".join(TAPS)
    mq = "multi_queue" if queues > 1 else ""
    # A second tap boot would tear down the first one's namespace.
    lock = open(NETNS_LOCK, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"qemu.py: waiting for the other boot that uses the tap bridge "
              f"({NETNS_LOCK})", file=sys.stderr, flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    subprocess.run(["ip", "netns", "del", NETNS], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)    # left over from a killed run
    try:
        subprocess.run(["ip", "netns", "add", NETNS], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        netns_sh(f"""
            for f in /proc/sys/net/bridge/bridge-nf-call-*; do
                [ ! -e "$f" ] || echo 0 >"$f"
            done
            echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
            ip link add {BRIDGE} type bridge
            for tap in {taps}; do
                ip tuntap add dev $tap mode tap {mq}
                ip link set $tap master {BRIDGE} up
            done
            ip link set {BRIDGE} up""")
        yield ["ip", "netns", "exec", NETNS]
    except subprocess.CalledProcessError as e:
        raise OSError(f"cannot set up the tap bridge in network namespace {NETNS}: "
                      f"{e.stderr.strip()}") from e
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        lock.close()


def host_network(scenario):
    """What the scenario's NICs need on the host for the time of a boot; as
    a context manager, it gives the prefix of QEMU's command."""
    return host_bridge(scenario.taps) if scenario.taps else contextlib.nullcontext([])


def make_ext2(disk, files):
    """A DISK_BYTES ext2 image holding fs_pattern's files h0..h<files - 1>."""
    with tempfile.TemporaryDirectory() as tmp:
        fs_pattern.write_files(tmp, files)
        with contextlib.suppress(FileNotFoundError):
            os.remove(disk)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", tmp, disk,
                        f"{DISK_BYTES >> 10}k"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def prepare(scenario, build, kunit=False, kernel=None, initrd=None):
    """A fresh disk image and the QEMU command line for scenario."""
    guest = GUESTS[scenario.guest]
    kernel = kernel or os.path.join(build, guest.image)
    initrd = initrd or os.path.join(build, guest.initrd)
    make = "make kernel initramfs" + ("" if scenario.guest == "x86_64"
                                       else f" GUEST={scenario.guest}")
    for path in (kernel, initrd):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} missing: run '{make}'")
    disk, qmp_path = paths(scenario, build)
    append = ["console=" + guest.console, "panic=-1", f"kunit.enable={int(kunit)}",
              f"vtest={scenario.tests}", f"vtest.disk_sectors={DISK_BYTES // 512}"]
    if scenario.guest == "x86_64":
        with open(disk, "wb") as f:
            f.truncate(DISK_BYTES)
    else:
        make_ext2(disk, FS_FILES)
        append.append(f"vtest.fs_files={FS_FILES}")
    append = " ".join([*append, *scenario.append])
    return command(scenario, kernel, initrd, disk, qmp_path, append)


def boot(scenario, build, kunit=False, timeout=TIMEOUT, echo=False,
         kernel=None, initrd=None):
    """Boot scenario non-interactively and return a Boot with its console log.

    The guest's host actions are performed as their lines come, each result
    logged as a "qemu.py: host action ..." line (also in Boot.log).
    """
    cmd = prepare(scenario, build, kunit, kernel, initrd)
    timeout = max(timeout, scenario.timeout)
    qmp_path = paths(scenario, build)[1]
    log_path = os.path.join(build, "logs", f"{scenario.name}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    lines = []
    lock = threading.Lock()
    done = threading.Event()
    requests = queue.Queue()    # (action, args) from the guest's VTEST HOST lines

    def emit(line):
        with lock:
            lines.append(line)
            log.write(line + "\n")
            log.flush()
            if echo:
                print(line, flush=True)

    def reader():
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "")
            emit(line)
            if logparse.reached_done(line):
                done.set()
            if request := logparse.host_request(line):
                requests.put(request)

    with open(log_path, "w") as log, host_network(scenario) as prefix:
        cmd = [*prefix, *cmd]
        log.write("# " + " ".join(cmd) + "\n")
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        timed_out = False
        deadline = start + timeout
        while proc.poll() is None:
            while not requests.empty():     # here, so the reader keeps draining
                emit(host_action(qmp_path, *requests.get()))
            if done.is_set():
                deadline = min(deadline, time.monotonic() + POWEROFF_GRACE)
                done.clear()
            if time.monotonic() > deadline:
                timed_out = True
                proc.kill()
                break
            time.sleep(0.2)
        proc.wait()
        thread.join()
        seconds = time.monotonic() - start
        if timed_out:
            log.write(f"qemu.py: killed QEMU after {seconds:.0f} s\n")
    with contextlib.suppress(FileNotFoundError):
        os.remove(qmp_path)
    return Boot(scenario.name, "\n".join(lines) + "\n", log_path, proc.returncode,
                timed_out, seconds)


def interactive(scenario, build, kunit=False, kernel=None, initrd=None):
    """Boot scenario with the console on this terminal; QEMU's exit code."""
    cmd = prepare(scenario, build, kunit, kernel, initrd)
    print(f"qemu.py: Ctrl-A X quits QEMU; QMP on {paths(scenario, build)[1]}", flush=True)
    with host_network(scenario) as prefix:
        return subprocess.call([*prefix, *cmd])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--build", default=os.environ.get("BUILD") or os.path.join(REPO, "build"))
    ap.add_argument("--kernel", help="default: the scenario's guest's, in BUILD")
    ap.add_argument("--initrd", help="default: the scenario's guest's, in BUILD")
    ap.add_argument("--kunit", action="store_true", help="run the built-in KUnit suites")
    ap.add_argument("--timeout", type=int, default=TIMEOUT, help="seconds (default %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="do not echo the console")
    ap.add_argument("--append", action="append", default=[], metavar="ARG",
                    help="one more kernel argument, e.g. vtest.net_mb=8 (repeatable)")
    args = ap.parse_args()

    scenario = SCENARIOS[args.scenario]
    if args.append:
        scenario = dataclasses.replace(scenario, append=(*scenario.append, *args.append))
    try:
        if scenario.interactive:
            return interactive(scenario, args.build, args.kunit, args.kernel, args.initrd)
        result = boot(scenario, args.build, args.kunit, args.timeout,
                      echo=not args.quiet, kernel=args.kernel, initrd=args.initrd)
    except FileNotFoundError as e:
        print(f"qemu.py: {e}", file=sys.stderr)
        return 2
    checks = logparse.vtest_results(result.log)
    failed = [c for c in checks if not c.ok]
    failure = result.failure()
    print(f"\nqemu.py: {scenario.name}: {len(checks) - len(failed)} of {len(checks)} "
          f"checks passed in {result.seconds:.0f} s; log: {result.log_path}")
    for c in failed:
        print(f"qemu.py: FAIL {c.name}: {c.reason}")
    if failure:
        print(f"qemu.py: FAIL boot: {failure}")
    splats = logparse.splats(result.log)
    if splats:
        print(f"qemu.py: FAIL clean-log: {len(splats)} kernel splat lines, first: {splats[0]}")
    return 1 if failed or failure or splats else 0


if __name__ == "__main__":
    sys.exit(main())
