#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under QEMU: the one place that builds QEMU command lines.

A scenario is a machine, a virtio-blk and a virtio-rng device with their
properties, and the guest tests to run on them (vtest=a,b,c on the kernel
command line, see guest/init).  Each boot gets a fresh 64 MiB raw disk image
in BUILD, its serial console goes to BUILD/logs/<scenario>.log, and QEMU's
QMP monitor listens on BUILD/qmp-<scenario>.sock: when the guest prints
"VTEST HOST <action> <args...>" (HOST_ACTIONS: block_resize <bytes>,
set_link <netdev> on|off, balloon <bytes>, send_key <qcode>), this script
performs it there and logs a "qemu.py: host action ..." line; the guest
polls for the effect.  A host check (HOST_CHECKS: balloon_stats
<MemTotal kB>) is asked for the same way; its result is a "VTEST PASS/FAIL
host-<check>" line in the log, counted like the guest's checks.  Requests
are served one at a time, in order: the effect of one that the guest sees
means the ones before it are done.

A scenario with a rig (RIGS) has more devices, whose host side -- files,
a daemon, checks of what the guest wrote -- the rig sets up before QEMU
starts and checks after QEMU exited, again as "VTEST PASS/FAIL host-..."
lines appended to the log.

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
import hashlib
import json
import os
import queue
import re
import select
import shutil
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
    peer_mb: int = 0        # >0: two guests on a socket link sending each
                            # other this many MiB (boot_peers())
    memory: str = "1G"      # QEMU's -m: guest RAM [,slots=N,maxmem=M]
    rig: str = ""           # a key of RIGS: more devices, with their host side


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
    # Two guests, one NIC each with QEMU's default features, joined by a
    # QEMU socket link on 127.0.0.1 (boot_peers): unlike the hub, the link
    # pushes back -- a guest that sends faster than its peer takes frames
    # in finds the socket full and its transmit queue stalled until it drains.
    # 8 MiB each way: busybox nc moves ~0.15 MB/s here (TCG, debug
    # kernel); qemu.py --peer-mb 32 net-peers is the transfer.
    Scenario("net-peers", "peer", peer_mb=8, memory="512M", timeout=900),
    # Cross-built guests (make kernel initramfs GUEST=...): virt on arm64
    # with virtio-mmio (version 2) and PCI; big-endian pseries with legacy
    # (guest-endian) and modern (little-endian) PCI devices.
    Scenario("arm64-mmio", "blk,rng", guest="arm64", transport="mmio",
             extra=("-global", "virtio-mmio.force-legacy=false")),
    Scenario("arm64-pci", "blk,rng", guest="arm64"),
    Scenario("ppc64-legacy", "blk,rng", guest="ppc64", interface="legacy"),
    Scenario("ppc64-modern", "blk,rng", guest="ppc64"),
    # The base tree's own virtio drivers (virtio_scsi, virtio_console,
    # 9pnet_virtio, virtiofs, virtio_balloon, virtio_input), unmodified, on
    # our core: UpstreamRig has the devices and the host's checks.
    # ~3 minutes under TCG on a busy host, 100 s of them the boot.
    Scenario("upstream", "upstream", rig="upstream", timeout=480),
    # Their crypto, pmem, mem and iommu drivers: PlatformRig.  The memory
    # devices need room beside the RAM (maxmem).
    Scenario("upstream-platform", "platform", rig="platform", memory="512M,slots=4,maxmem=2G",
             timeout=480),
    # Sleep and wake with blk, net and rng busy (guest/tests/pm.sh); S3
    # needs q35's ACPI to offer it.
    Scenario("lifecycle", "pm", rig="lifecycle",
             extra=(*HUB_NICS, "-global", "ICH9-LPC.disable_s3=0"), timeout=600),
    # Disks and NICs plugged into PCIe root ports and pulled with I/O
    # running (guest/tests/hotplug.sh, HotplugRig): through ACPI (q35's
    # default since QEMU 6.1), and native PCIe hot-plug (pciehp).
    Scenario("hotplug", "hotplug,leaks", rig="hotplug", extra=HUB_NICS, timeout=600),
    Scenario("hotplug-pcie", "hotplug,leaks", rig="hotplug", timeout=600,
             append=("vtest.pciehp=1",),
             extra=(*HUB_NICS, "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off")),
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


# --- The accelerator --------------------------------------------------------

PROBE_TIMEOUT = 60  # seconds: a KVM boot of the guest with no tests takes ~5
PROBE_ACCEL = "kvm"     # what the probe tries (a test of the probe may say tcg)
PROBE_FIRST_LINE = 20   # seconds to the kernel's first console line under KVM
KVM_FAILED = ("KVM internal error", "emulation failure", "failed to initialize kvm",
              "Could not access KVM kernel module")
_accel = {}         # kernel -> (accelerator, why), one probe per process


def probe_kvm(kernel, initrd):
    """(True, why) if KVM runs the x86_64 guest to its end here, else (False, why).

    A /dev/kvm that opens may still fail every guest: "KVM internal error.
    Suberror: 1 ... emulation failure" right after the firmware, or a guest
    that never prints past it; QEMU then stops or spins rather than exits.
    So boot the guest with no tests and trust KVM only if it reaches VTEST
    DONE within PROBE_TIMEOUT, giving up early on a KVM error or when the
    kernel has printed nothing by PROBE_FIRST_LINE.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    cmd = [GUESTS["x86_64"].qemu, "-M", GUESTS["x86_64"].machine, "-accel", PROBE_ACCEL,
           "-m", "1G", "-smp", "2", "-nographic", "-no-reboot", "-nic", "none",
           "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyS0 panic=-1 kunit.enable=0 vtest="]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out, why = b"", None
    try:
        while why is None:
            elapsed = time.monotonic() - start
            text = out.decode(errors="replace")
            if logparse.reached_done(text):
                return True, f"probe boot reached VTEST DONE in {elapsed:.0f} s"
            bad = [m for m in KVM_FAILED if m in text]
            if bad:
                why = f"{bad[0]!r} on the console after {elapsed:.0f} s"
            elif elapsed > PROBE_TIMEOUT:
                why = f"no VTEST DONE within {PROBE_TIMEOUT} s"
            elif elapsed > PROBE_FIRST_LINE and b"Linux version" not in out:
                why = f"the kernel printed nothing in {PROBE_FIRST_LINE} s"
            elif select.select([proc.stdout], [], [], 0.5)[0]:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    why = f"QEMU exited ({proc.wait()}) without VTEST DONE"
                out += chunk
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return False, f"probe boot under KVM failed: {why}; last line: " + repr(
        logparse.last_lines(out.decode(errors="replace"), 1))


def accelerator(scenario, kernel, initrd):
    """("kvm" or "tcg", why) for scenario's boot.

    VTEST_ACCEL=kvm|tcg in the environment decides without a probe; else
    only the x86_64 guest can use KVM, and only once probe_kvm() said it works.
    """
    forced = os.environ.get("VTEST_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced, "VTEST_ACCEL"
    if scenario.guest != "x86_64":
        return "tcg", f"{scenario.guest} guest on this host"
    key = GUESTS["x86_64"].image if kernel is None else kernel
    if key not in _accel:
        ok, why = probe_kvm(kernel, initrd)
        _accel[key] = ("kvm" if ok else "tcg", why)
        print(f"qemu.py: accelerator {_accel[key][0]}: {why}", file=sys.stderr, flush=True)
    return _accel[key]


def accelerator_of(scenario, build):
    """accelerator() for scenario's guest as built in build (probed once)."""
    guest = GUESTS[scenario.guest]
    return accelerator(scenario, os.path.join(build, guest.image),
                       os.path.join(build, guest.initrd))


def command(scenario, kernel, initrd, disk, qmp_path, append, accel="tcg"):
    """The QEMU command line: 2 CPUs, 1 GiB unless the scenario says, serial console on stdio, QMP on qmp_path."""
    guest = GUESTS[scenario.guest]
    return [
        guest.qemu, "-M", scenario.machine or guest.machine, *guest.args, "-accel", accel,
        "-m", scenario.memory, "-smp", "2", "-nographic", "-no-reboot", "-nic", "none",
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
    # The guest's RAM as the balloon should leave it (QEMU inflates or
    # deflates the balloon by the difference).
    "balloon": lambda size: ("balloon", {"value": int(size)}),
    # A key pressed and released, e.g. "a": to the active input device
    # that takes keys, the virtio keyboard once its driver is up.
    "send_key": lambda qcode: ("input-send-event", {"events": [
        {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}
        for down in (True, False)]}),
    # A device plugged in, from its properties "driver=... id=... k=v"
    # (HotplugRig), and one asked to leave: the guest sees each happen.
    "device_add": lambda *props: ("device_add", dict(p.split("=", 1) for p in props)),
    "device_del": lambda dev_id: ("device_del", {"id": dev_id}),
    # The memory the virtio-mem device should have plugged (PlatformRig).
    "vmem_size": lambda size: ("qom-set", {"path": f"/machine/peripheral/{VMEM_ID}",
                                           "property": "requested-size",
                                           "value": int(size)}),
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


# --- Host checks requested by the guest --------------------------------------

BALLOON_ID = "balloon0"     # the virtio-balloon's QOM id (UpstreamRig)
VMEM_ID = "vmem0"           # the virtio-mem's QOM id (PlatformRig)
STATS_WAIT = 20             # seconds for fresh balloon stats, under TCG too


def check_balloon_stats(qmp_path, mem_kb):
    """None if the balloon's stats queue answers, else why not.

    The driver queues its stats once at probe time, so QEMU's guest-stats
    has a last-update already: fresh stats, after QEMU starts polling every
    second, prove the round trip (QEMU gives the buffer back, the driver
    fills and queues it again).  Their total memory must then be the
    MemTotal the guest read (mem_kb): both are the guest's totalram pages.
    """
    path = f"/machine/peripheral/{BALLOON_ID}"

    def stats():
        return qmp(qmp_path, "qom-get", {"path": path, "property": "guest-stats"})

    before = stats().get("last-update", 0)
    qmp(qmp_path, "qom-set", {"path": path, "property": "guest-stats-polling-interval",
                              "value": 1})
    deadline = time.monotonic() + STATS_WAIT
    while (got := stats()).get("last-update", 0) <= before:
        if time.monotonic() > deadline:
            if not before:
                return (f"no stats within {STATS_WAIT} s, none since boot: the device "
                        "never got the buffer the driver queues at probe time")
            return f"no stats update within {STATS_WAIT} s (last-update {before})"
        time.sleep(0.5)
    total = got.get("stats", {}).get("stat-total-memory", -1)
    if total != int(mem_kb) * 1024:
        return f"stat-total-memory is {total}, the guest's MemTotal {mem_kb} kB"
    return None


SUSPEND_WAIT = 60   # seconds for the guest to reach S3 after asking for a wakeup


def check_wakeup(qmp_path):
    """Wait for the guest to be suspended to RAM (QEMU's run state
    "suspended": the guest entered ACPI S3), then wake it; None if it was."""
    deadline = time.monotonic() + SUSPEND_WAIT
    while (status := qmp(qmp_path, "query-status", {})["status"]) != "suspended":
        if time.monotonic() > deadline:
            return f"not suspended within {SUSPEND_WAIT} s (QEMU status {status!r})"
        time.sleep(0.2)
    qmp(qmp_path, "system_wakeup", {})
    return None


HOST_CHECKS = {     # check -> function of the QMP socket and its arguments:
    "balloon_stats": check_balloon_stats,    # None if it passed, else why not
    "wakeup": check_wakeup,
}


def check_line(name, why):
    """The log line of a host check: passed if why is None."""
    if why is None:
        return f"qemu.py: VTEST PASS {name}"
    return f"qemu.py: VTEST FAIL {name}: {why}"


ID_FREE_WAIT = 10   # seconds for QEMU to let go of an unplugged device


def wait_id_free(qmp_path, dev_id):
    """Wait (a while) until no device is named dev_id.  A device the guest
    has let go of after device_del keeps its id until QEMU has finalized
    it, a little later, and device_add refuses the id until then."""
    deadline = time.monotonic() + ID_FREE_WAIT
    while any(p["name"] == dev_id for p in
              qmp(qmp_path, "qom-list", {"path": "/machine/peripheral"})):
        if time.monotonic() > deadline:
            return      # device_add says why
        time.sleep(0.1)


BUSY_WAIT = 15      # seconds a native PCIe slot may take to settle


def qmp_unless_busy(qmp_path, command, arguments):
    """qmp(), again while QEMU says the guest is busy: native PCIe refuses
    an unplug while the slot's power indicator blinks, until the guest has
    finished bringing the slot up (or down)."""
    deadline = time.monotonic() + BUSY_WAIT
    while True:
        try:
            return qmp(qmp_path, command, arguments)
        except RuntimeError as e:
            if "guest is busy" not in str(e) or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def host_action(qmp_path, action, args):
    """Perform a guest's host action or check; a console-log line saying how it went."""
    what = "qemu.py: host action " + " ".join((action, *args))
    if action in HOST_CHECKS:
        name = "host-" + action.replace("_", "-")
        try:
            return check_line(name, HOST_CHECKS[action](qmp_path, *args))
        except (TypeError, ValueError):
            return check_line(name, f"wrong arguments {' '.join(args)!r}")
        except (OSError, RuntimeError) as e:
            return check_line(name, f"QMP: {e}")
    try:
        cmd, arguments = HOST_ACTIONS[action](*args)
        if cmd == "device_add" and "id" in arguments:
            wait_id_free(qmp_path, arguments["id"])
        qmp_unless_busy(qmp_path, cmd, arguments)
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


# Under TCG the debug guest moves 0.2-0.3 MB/s over the hub: its 64 MiB
# (net.sh's default) would not finish within net.sh's 300 s bound while
# another boot shares the cores, so it sends what the tap scenarios send.
TCG_NET_MB = 16


def prepare(scenario, build, kunit=False, kernel=None, initrd=None, append=()):
    """A fresh disk image; (QEMU command line, accelerator line) for scenario."""
    guest = GUESTS[scenario.guest]
    kernel = kernel or os.path.join(build, guest.image)
    initrd = initrd or os.path.join(build, guest.initrd)
    make = "make kernel initramfs" + ("" if scenario.guest == "x86_64"
                                       else f" GUEST={scenario.guest}")
    for path in (kernel, initrd):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} missing: run '{make}'")
    disk, qmp_path = paths(scenario, build)
    args = ["console=" + guest.console, "panic=-1", f"kunit.enable={int(kunit)}",
            f"vtest={scenario.tests}", f"vtest.disk_sectors={DISK_BYTES // 512}"]
    if scenario.guest == "x86_64":
        with open(disk, "wb") as f:
            f.truncate(DISK_BYTES)
    else:
        make_ext2(disk, FS_FILES)
        args.append(f"vtest.fs_files={FS_FILES}")
    accel, why = accelerator(scenario, kernel, initrd)
    extra = [*scenario.append, *append]
    if (accel == "tcg" and "net" in scenario.tests.split(",") and
            not any(a.startswith("vtest.net_mb=") for a in extra)):
        args.append(f"vtest.net_mb={TCG_NET_MB}")
    args = " ".join([*args, *extra])
    return (command(scenario, kernel, initrd, disk, qmp_path, args, accel),
            f"qemu.py: accelerator {accel} ({why})")


class _Machine:
    """One running QEMU of a boot: its console log, its host actions, its rig."""

    def __init__(self, scenario, build, cmd, accel_line, timeout, echo, rig=None):
        self.scenario = scenario
        self.rig = rig
        self.cmd = cmd
        self.accel_line = accel_line
        self.timeout = max(timeout, scenario.timeout)
        self.echo = echo
        self.qmp_path = paths(scenario, build)[1]
        self.log_path = os.path.join(build, "logs", f"{scenario.name}.log")
        self.lines = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.requests = queue.Queue()   # (action, args) of VTEST HOST lines
        self.timed_out = False
        self.proc = None

    def emit(self, line):
        with self.lock:
            self.lines.append(line)
            self.log.write(line + "\n")
            self.log.flush()
            if self.echo:
                label = f"{self.scenario.name}| " if self.scenario.peer_mb else ""
                print(label + line, flush=True)

    def _reader(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "")
            self.emit(line)
            if logparse.reached_done(line):
                self.done.set()
            if request := logparse.host_request(line):
                self.requests.put(request)

    def start(self, stack):
        """Start QEMU; what it holds (log, host network) closes with stack."""
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = stack.enter_context(open(self.log_path, "w"))
        prefix = stack.enter_context(host_network(self.scenario))
        if self.rig:
            stack.enter_context(self.rig.running())
        self.cmd = [*prefix, *self.cmd]
        self.log.write("# " + " ".join(self.cmd) + "\n")
        self.emit(self.accel_line)
        self.start_time = time.monotonic()
        self.deadline = self.start_time + self.timeout
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def step(self):
        """Serve host actions, enforce the deadline; False once QEMU is gone."""
        while not self.requests.empty():    # here, so the reader keeps draining
            self.emit(host_action(self.qmp_path, *self.requests.get()))
        if self.done.is_set():
            self.deadline = min(self.deadline, time.monotonic() + POWEROFF_GRACE)
            self.done.clear()
        if self.proc.poll() is None and time.monotonic() > self.deadline:
            self.timed_out = True
            self.proc.kill()
        return self.proc.poll() is None

    def finish(self):
        self.proc.wait()
        self.thread.join()
        seconds = time.monotonic() - self.start_time
        if self.timed_out:
            self.log.write(f"qemu.py: killed QEMU after {seconds:.0f} s\n")
        if self.rig:    # what the guest left on the host, now QEMU is gone
            for line in self.rig.check("\n".join(self.lines)):
                self.emit(line)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.qmp_path)
        return Boot(self.scenario.name, "\n".join(self.lines) + "\n", self.log_path,
                    self.proc.returncode, self.timed_out, seconds)


def _run(machines, ready=lambda machine: True):
    """Start machines in order, each once ready(previous) holds (or its
    QEMU is gone); drive them all until every one has exited.  Boots."""
    with contextlib.ExitStack() as stack:
        try:
            for i, machine in enumerate(machines):
                if i:
                    prev = machines[i - 1]
                    while prev.step() and not ready(prev):
                        time.sleep(0.1)
                machine.start(stack)
            while any([m.step() for m in machines if m.proc]):
                time.sleep(0.2)
        finally:
            for m in machines:
                if m.proc and m.proc.poll() is None:
                    m.proc.kill()
        return [m.finish() for m in machines if m.proc]


# --- Two guests on a QEMU socket link -----------------------------------------

PEER_ROLES = ("a", "b")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port):
    """Does something listen on 127.0.0.1:port (/proc/net/tcp, state 0A)?
    Not by connecting: QEMU's socket netdev takes the first connection as
    its peer."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        return any(fields[1] == want and fields[3] == "0A"
                   for fields in (line.split() for line in f))


def peer_halves(scenario, port):
    """The two guests of scenario: "a" listens on 127.0.0.1:port, "b"
    connects; one virtio-net NIC each, its frames carried over that TCP
    connection by QEMU, and nowhere else."""
    halves = []
    for i, role in enumerate(PEER_ROLES):
        end = "listen" if i == 0 else "connect"
        nic = ("-netdev", f"socket,id=n0,{end}=127.0.0.1:{port}",
               "-device", ",".join(("virtio-net-pci,netdev=n0,id=nic0",
                                    f"mac=52:54:00:99:01:0{i + 1}",
                                    *PCI_INTERFACES[scenario.interface], *scenario.props)))
        halves.append(dataclasses.replace(scenario, name=f"{scenario.name}-{role}",
                                          extra=(*scenario.extra, *nic)))
    return halves


def boot_peers(scenario, build, kunit=False, timeout=TIMEOUT, echo=False,
               kernel=None, initrd=None):
    """Boot scenario's two guests (peer_halves) at once; their two Boots.

    Each guest's disk starts with scenario.peer_mb MiB of random data; the other
    guest is told its sha256 (vtest.peer_sha=), so that what crossed the
    link is checked on the far side.  "b" starts once "a" listens.
    """
    port = free_port()
    halves = peer_halves(scenario, port)
    data = [os.urandom(scenario.peer_mb << 20) for _ in halves]
    shas = [hashlib.sha256(d).hexdigest() for d in data]
    machines = []
    for i, (half, role) in enumerate(zip(halves, PEER_ROLES)):
        cmd, accel = prepare(half, build, kunit, kernel, initrd,
                             (f"vtest.peer={role}", f"vtest.peer_mb={scenario.peer_mb}",
                              f"vtest.peer_sha={shas[1 - i]}"))
        with open(paths(half, build)[0], "r+b") as disk:
            disk.write(data[i])
        machines.append(_Machine(half, build, cmd, accel, timeout, echo))
    return _run(machines, ready=lambda machine: listening(port))


# --- The base tree's own drivers: the upstream scenario's rig -----------------

VIRTIOFSD = "/usr/lib/qemu/virtiofsd"   # QEMU 7.2's C daemon (Debian's qemu-system-common)
DAEMON_WAIT = 10    # seconds for virtiofsd to listen
XFER_BYTES = 1 << 20    # each file and each serial transfer; small enough for TCG
SCSI_BYTES = 8 << 20
# (offset, length) in bytes of the guest's writes to the SCSI disk: none
# aligned to a sector, so the guest's page cache reads, modifies and writes
# whole blocks, one of them across a page, one at the end of the disk.
SCSI_WRITES = ((511, 1), (4093, 7), ((1 << 20) + 100, 1000), (5000000, 4097),
               (SCSI_BYTES - 1, 1))


def guest_said(log, test):
    """What a rig's guest test told the host of the data it sent, as lines
    "vtest: <test>: <key> <sha256>" (guest/tests/<test>.sh): {key: sha256}."""
    said = re.compile(rf"vtest: {test}: (\S+) ([0-9a-f]{{64}})\s*$")
    return {m.group(1): m.group(2) for m in map(said.search, log.splitlines()) if m}


def memory_mb(size):
    """QEMU's -m size ("1G", "512M") in MiB."""
    units = {"M": 1, "G": 1024}
    return int(size[:-1]) * units[size[-1].upper()]


def unix_listening(path):
    """Does a socket listen on path (/proc/net/unix, flag __SO_ACCEPTCON)?
    Not by connecting: virtiofsd serves the first connection only."""
    with open("/proc/net/unix") as f:
        return any(len(fields) >= 8 and fields[-1] == path and int(fields[3], 16) & 0x10000
                   for fields in (line.split() for line in f))


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class UpstreamRig:
    """The devices of the base tree's drivers, and their host side in BUILD/<scenario>.

    virtio-scsi with an 8 MiB disk of random data; virtio-serial with a
    console (hvc0) and two named ports into host files, one each way; 9p
    and virtiofs shares holding a file of random data; a balloon and a
    keyboard, driven through QMP by the guest's host actions and checks.
    The guest checks what the host sent (sha256 sums on its command line);
    check() checks, after the boot, what the guest sent: the files it wrote
    through each device, and its writes to the disk image.
    """

    def __init__(self, scenario, build):
        self.scenario = scenario
        self.dir = os.path.join(build, scenario.name)
        self.scsi = os.path.join(build, f"disk-{scenario.name}-scsi.img")
        self.hvc = os.path.join(self.dir, "hvc0")
        self.serial_out = os.path.join(self.dir, "serial-out")
        # A pipe chardev reads <path>.in and writes <path>.out; QEMU 7.2's
        # file chardev has no input-path.  A regular .in is read only while
        # the guest has the port open, and its end closes the port (EOF).
        self.serial_in = os.path.join(self.dir, "serial-in")
        self.share_9p = os.path.join(self.dir, "9p")
        self.share_fs = os.path.join(self.dir, "virtiofs")
        self.fs_sock = os.path.join(self.dir, "virtiofsd.sock")
        self.fs_log = os.path.join(self.dir, "virtiofsd.log")
        self.marker = os.urandom(8).hex()

    def prepare(self):
        """Fresh host files; (QEMU arguments, kernel arguments)."""
        shutil.rmtree(self.dir, ignore_errors=True)
        for d in (self.share_9p, self.share_fs):
            os.makedirs(d)
        self.scsi_data = os.urandom(SCSI_BYTES)
        with open(self.scsi, "wb") as f:
            f.write(self.scsi_data)
        shas = {}
        for key, path in (("serial_in", self.serial_in + ".in"),
                          ("9p", os.path.join(self.share_9p, "host.bin")),
                          ("vfs", os.path.join(self.share_fs, "host.bin"))):
            data = os.urandom(XFER_BYTES)
            with open(path, "wb") as f:
                f.write(data)
            shas[key] = hashlib.sha256(data).hexdigest()
        open(self.serial_in + ".out", "wb").close()
        mem = self.scenario.memory
        dev = lambda kind, *props: device(self.scenario, kind, *props)
        args = (
            "-device", dev("virtio-scsi", "id=scsi0", "num_queues=2"),
            # QEMU writes through the host's page cache (cache=writeback),
            # the one check() reads the image through after QEMU exited.
            # Not id=sd0: that is QEMU's default SD card drive.
            "-drive", f"file={self.scsi},if=none,id=scsihd0,format=raw",
            "-device", "scsi-hd,drive=scsihd0,bus=scsi0.0",
            "-device", dev("virtio-serial", "id=serial0"),
            "-chardev", f"file,id=hvc,path={self.hvc}",
            "-device", "virtconsole,chardev=hvc",
            "-chardev", f"file,id=sout,path={self.serial_out}",
            "-device", "virtserialport,chardev=sout,name=org.vtest.out",
            "-chardev", f"pipe,id=sin,path={self.serial_in}",
            "-device", "virtserialport,chardev=sin,name=org.vtest.in",
            "-fsdev", f"local,id=fs9,path={self.share_9p},security_model=none",
            "-device", dev("virtio-9p", "fsdev=fs9", "mount_tag=vtest9p"),
            # vhost-user: virtiofsd maps the guest's RAM, so all of it is
            # one shared memfd.  A modern-only device: no disable-legacy.
            "-chardev", f"socket,id=vfs,path={self.fs_sock}",
            "-device", "vhost-user-fs-pci,chardev=vfs,tag=vtestfs",
            "-object", f"memory-backend-memfd,id=mem,size={mem},share=on",
            "-numa", "node,memdev=mem",
            "-device", dev("virtio-balloon", f"id={BALLOON_ID}"),
            "-device", dev("virtio-keyboard", "id=kbd0"),
        )
        writes = ",".join(f"{off}:{size}" for off, size in SCSI_WRITES)
        append = (f"vtest.xfer_bytes={XFER_BYTES}", f"vtest.scsi_bytes={SCSI_BYTES}",
                  f"vtest.scsi_sha={hashlib.sha256(self.scsi_data).hexdigest()}",
                  f"vtest.scsi_writes={writes}", f"vtest.hvc_marker={self.marker}",
                  f"vtest.serial_in_sha={shas['serial_in']}", f"vtest.9p_sha={shas['9p']}",
                  f"vtest.vfs_sha={shas['vfs']}", f"vtest.ram_mb={memory_mb(mem)}")
        return args, append

    @contextlib.contextmanager
    def running(self):
        """virtiofsd, listening on fs_sock before QEMU connects to it, for
        the time of the boot; OSError if it does not come up."""
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.fs_sock)
        with open(self.fs_log, "w") as log:
            try:
                proc = subprocess.Popen([VIRTIOFSD, f"--socket-path={self.fs_sock}",
                                         "-o", f"source={self.share_fs}",
                                         "-o", "sandbox=chroot"],
                                        stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT)
            except FileNotFoundError as e:
                raise OSError(f"{VIRTIOFSD} missing: install qemu-system-common") from e
        try:
            deadline = time.monotonic() + DAEMON_WAIT
            while not unix_listening(self.fs_sock):
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(self.fs_log) as log:
                        said = log.read().strip().splitlines()[-1:]
                    raise OSError(f"virtiofsd did not listen on {self.fs_sock} within "
                                  f"{DAEMON_WAIT} s: {said}; log: {self.fs_log}")
                time.sleep(0.1)
            yield
        finally:
            # It exits by itself once QEMU hangs up; not if QEMU never came.
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def check(self, log):
        """After the boot: the lines of the host checks of what the guest sent."""
        said = guest_said(log, "upstream")
        return [check_line(name, why) for name, why in (
            ("host-scsi-writes", self.check_scsi(said)),
            ("host-hvc0", self.check_hvc()),
            ("host-serial-out", self.check_file(self.serial_out, said, "serial-out-sha")),
            ("host-9p-write", self.check_file(
                os.path.join(self.share_9p, "guest.bin"), said, "9p-write-sha")),
            ("host-virtiofs-write", self.check_file(
                os.path.join(self.share_fs, "guest.bin"), said, "vfs-write-sha")),
        )]

    def check_scsi(self, said):
        """Each of the guest's SCSI_WRITES in the image, the sha256 it said;
        every other byte as the host wrote it."""
        with open(self.scsi, "rb") as f:
            image = f.read()
        if len(image) != SCSI_BYTES:
            return f"the image has {len(image)} bytes, not {SCSI_BYTES}"
        rest = bytearray(image)
        for off, size in SCSI_WRITES:
            want = said.get(f"scsi-write-{off}")
            if want is None:
                return f"the guest said no sha256 of its write at {off} (scsi-write-{off})"
            got = hashlib.sha256(image[off:off + size]).hexdigest()
            if got != want:
                return f"{size} bytes at {off}: sha256 {got}, the guest wrote {want}"
            rest[off:off + size] = self.scsi_data[off:off + size]
        if rest != self.scsi_data:
            first = next(i for i in range(SCSI_BYTES) if rest[i] != self.scsi_data[i])
            return f"byte {first} changed, outside the guest's writes"
        return None

    def check_hvc(self):
        try:
            with open(self.hvc, "rb") as f:
                text = f.read()
        except FileNotFoundError:
            return f"no {self.hvc}"
        if f"vtest-hvc0 {self.marker}".encode() not in text:
            return f"{self.hvc} ({len(text)} bytes) lacks 'vtest-hvc0 {self.marker}'"
        return None

    @staticmethod
    def check_file(path, said, key):
        want = said.get(key)
        if want is None:
            return f"the guest said no sha256 of what it wrote ({key})"
        if not os.path.exists(path):
            return f"no {path}"
        size = os.path.getsize(path)
        if size != XFER_BYTES:
            return f"{path} has {size} bytes, the guest wrote {XFER_BYTES}"
        got = sha256_file(path)
        if got != want:
            return f"{path} has sha256 {got}, the guest wrote {want}"
        return None


# --- The base tree's crypto, pmem, mem and iommu drivers ---------------------

PMEM_BYTES = 16 << 20
IOMMU_DISK_BYTES = 8 << 20
VMEM_BYTES = 512 << 20      # the virtio-mem device's most; it starts with none
# (offset, length) of the guest's writes: to /dev/pmem0, to the disk behind
# the IOMMU (guest/tests/platform.sh, told by vtest.*_write).  Each offset
# a multiple of its length: dd seeks in blocks of the length, O_DIRECT.
PMEM_WRITE = (4 << 20, 1 << 20)
IOMMU_WRITE = (1 << 20, 1 << 20)


class PlatformRig:
    """virtio-crypto on QEMU's built-in backend, virtio-pmem on a host file,
    virtio-mem, and virtio-iommu with a virtio-blk behind it (iommu_platform=on).

    The pmem file and the IOMMU'd disk start as random data whose sha256
    the guest gets on its command line; check() finds the guest's writes
    in them after the boot, and nothing else changed.
    """

    def __init__(self, scenario, build):
        self.dir = os.path.join(build, scenario.name)
        self.scenario = scenario
        self.pmem = os.path.join(self.dir, "pmem.img")
        self.disk = os.path.join(self.dir, "iommu-disk.img")

    def prepare(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.data = {}
        for path, size in ((self.pmem, PMEM_BYTES), (self.disk, IOMMU_DISK_BYTES)):
            self.data[path] = os.urandom(size)
            with open(path, "wb") as f:
                f.write(self.data[path])
        dev = lambda kind, *props: device(self.scenario, kind, *props)
        args = (
            "-object", "cryptodev-backend-builtin,id=cryptodev0",
            "-device", dev("virtio-crypto", "cryptodev=cryptodev0"),
            "-object", f"memory-backend-file,id=pmem0,share=on,mem-path={self.pmem},"
                       f"size={PMEM_BYTES}",
            "-device", "virtio-pmem-pci,memdev=pmem0",
            "-object", f"memory-backend-ram,id=vmemmem,size={VMEM_BYTES}",
            "-device", f"virtio-mem-pci,id={VMEM_ID},memdev=vmemmem,requested-size=0",
            # QEMU 7.2 describes it to the guest in an ACPI VIOT table.
            "-device", "virtio-iommu-pci",
            "-drive", f"file={self.disk},format=raw,if=none,id=iommuhd",
            # Direct chains only: QEMU 7.2 reads an indirect table that
            # crosses a page behind its IOMMU from the wrong address (past
            # the page it takes the offset in the table for the IOVA:
            # "virtio_iommu_translate no mapping for 0x7d8" for a table at
            # page offset 0x828, seen here) and fails the device.
            "-device", dev("virtio-blk", "drive=iommuhd", "iommu_platform=on",
                           "indirect_desc=off"),
        )
        sha = lambda path: hashlib.sha256(self.data[path]).hexdigest()
        append = ("memhp_default_state=online_movable",
                  f"vtest.pmem_bytes={PMEM_BYTES}", f"vtest.pmem_sha={sha(self.pmem)}",
                  "vtest.pmem_write={}:{}".format(*PMEM_WRITE),
                  f"vtest.iommu_bytes={IOMMU_DISK_BYTES}", f"vtest.iommu_sha={sha(self.disk)}",
                  "vtest.iommu_write={}:{}".format(*IOMMU_WRITE))
        return args, append

    @contextlib.contextmanager
    def running(self):
        yield

    def check(self, log):
        said = guest_said(log, "platform")
        return [check_line("host-pmem-write", self.check_write(
                    self.pmem, PMEM_WRITE, said.get("pmem-write-sha"))),
                check_line("host-iommu-write", self.check_write(
                    self.disk, IOMMU_WRITE, said.get("iommu-write-sha")))]

    def check_write(self, path, write, want):
        """The guest's write in the file, the sha256 it said; the rest as it was."""
        if want is None:
            return "the guest said no sha256 of its write"
        off, size = write
        with open(path, "rb") as f:
            image = f.read()
        before = self.data[path]
        if len(image) != len(before):
            return f"{path} has {len(image)} bytes, not {len(before)}"
        got = hashlib.sha256(image[off:off + size]).hexdigest()
        if got != want:
            return f"{size} bytes at {off} of {path}: sha256 {got}, the guest wrote {want}"
        if image[:off] != before[:off] or image[off + size:] != before[off + size:]:
            return f"{path} changed outside the guest's write"
        return None


class LifecycleRig:
    """The disk writes of guest/tests/pm.sh, one 4 MiB write in flight over
    each sleep cycle: check() finds each in the disk image at the offset
    and with the sha256 the guest said ("vtest: pm: <cycle>@<offset> <sha256>")."""

    CYCLES = ("pm-test-freeze", "pm-test-mem")   # and pm-s3 if it ran
    WRITE_BYTES = 4 << 20

    def __init__(self, scenario, build):
        self.disk = paths(scenario, build)[0]

    def prepare(self):
        return (), ()

    @contextlib.contextmanager
    def running(self):
        yield

    def check(self, log):
        said = {}
        for key, sha in guest_said(log, "pm").items():
            cycle, _, off = key.partition("@")
            said[cycle] = (int(off), sha)
        with open(self.disk, "rb") as f:
            image = f.read()
        lines = []
        for cycle in (*self.CYCLES, *({"pm-s3"} & said.keys())):
            why = None
            if cycle not in said:
                why = "the guest said no write"
            else:
                off, want = said[cycle]
                got = hashlib.sha256(image[off:off + self.WRITE_BYTES]).hexdigest()
                if got != want:
                    why = f"4 MiB at {off}: sha256 {got}, the guest wrote {want}"
            lines.append(check_line(f"host-{cycle}-disk", why))
        return lines


class HotplugRig:
    """Three empty PCIe root ports, and what the guest plugs into them
    (guest/tests/hotplug.sh asks with host_action device_add/device_del):
    a virtio-blk and a virtio-scsi's disk, each on a 64 MiB image, and a
    virtio-net on the hub of HUB_NICS.  The back ends stay when a device
    goes, for the next one to take."""

    DISK_BYTES = 64 << 20
    DISKS = ("hotdisk", "hotscsidisk")

    def __init__(self, scenario, build):
        self.images = {node: os.path.join(build, f"disk-{scenario.name}-{node}.img")
                       for node in self.DISKS}

    def prepare(self):
        args = [
            "-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
            "-device", "pcie-root-port,id=rp2,chassis=2,slot=2",
            "-device", "pcie-root-port,id=rp3,chassis=3,slot=3",
            "-netdev", "hubport,id=hotnet,hubid=0",
        ]
        for node, image in self.images.items():
            with open(image, "wb") as f:
                f.truncate(self.DISK_BYTES)
            # -blockdev, not -drive: a -drive goes with the first device
            # that is unplugged from it.
            args += ["-blockdev", f"driver=file,filename={image},node-name={node}-file",
                     "-blockdev", f"driver=raw,file={node}-file,node-name={node}"]
        return tuple(args), ()

    @contextlib.contextmanager
    def running(self):
        yield

    def check(self, log):
        return []


RIGS = {"upstream": UpstreamRig, "platform": PlatformRig, "lifecycle": LifecycleRig,
        "hotplug": HotplugRig}


def boot(scenario, build, kunit=False, timeout=TIMEOUT, echo=False,
         kernel=None, initrd=None):
    """Boot scenario non-interactively and return a Boot with its console log.

    The guest's host actions are performed as their lines come, each result
    logged as a "qemu.py: host action ..." line (also in Boot.log); a rig's
    host checks follow the guest's output.
    """
    rig = RIGS[scenario.rig](scenario, build) if scenario.rig else None
    args, append = rig.prepare() if rig else ((), ())
    cmd, accel = prepare(scenario, build, kunit, kernel, initrd, append)
    return _run([_Machine(scenario, build, [*cmd, *args], accel, timeout, echo, rig)])[0]


def boot_all(scenario, build, kunit=False, timeout=TIMEOUT, echo=False,
             kernel=None, initrd=None):
    """The Boots of scenario: one, or two for a peers scenario."""
    how = boot_peers if scenario.peer_mb else lambda *a, **k: [boot(*a, **k)]
    return how(scenario, build, kunit, timeout, echo, kernel, initrd)


def interactive(scenario, build, kunit=False, kernel=None, initrd=None):
    """Boot scenario with the console on this terminal; QEMU's exit code."""
    cmd, accel = prepare(scenario, build, kunit, kernel, initrd)
    print(accel, flush=True)
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
    ap.add_argument("--peer-mb", type=int, metavar="N",
                    help="MiB each guest of a peers scenario sends")
    args = ap.parse_args()

    scenario = SCENARIOS[args.scenario]
    if args.peer_mb and scenario.peer_mb:
        scenario = dataclasses.replace(scenario, peer_mb=args.peer_mb)
    if args.append:
        scenario = dataclasses.replace(scenario, append=(*scenario.append, *args.append))
    try:
        if scenario.interactive:
            return interactive(scenario, args.build, args.kunit, args.kernel, args.initrd)
        results = boot_all(scenario, args.build, args.kunit, args.timeout,
                           echo=not args.quiet, kernel=args.kernel, initrd=args.initrd)
    except OSError as e:    # a missing kernel, tap bridge or daemon
        print(f"qemu.py: {e}", file=sys.stderr)
        return 2
    bad = False
    for result in results:
        checks = logparse.vtest_results(result.log)
        failed = [c for c in checks if not c.ok]
        failure = result.failure()
        print(f"\nqemu.py: {result.scenario}: {len(checks) - len(failed)} of {len(checks)} "
              f"checks passed in {result.seconds:.0f} s; log: {result.log_path}")
        for c in failed:
            print(f"qemu.py: FAIL {c.name}: {c.reason}")
        if failure:
            print(f"qemu.py: FAIL boot: {failure}")
        splats, known = logparse.classify_splats(result.log)
        for name in sorted(set(known)):
            print(f"qemu.py: known base-tree report: {name}")
        if splats:
            print(f"qemu.py: FAIL clean-log: {len(splats)} kernel splat lines, first: {splats[0]}")
        bad = bad or failed or failure or splats
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
