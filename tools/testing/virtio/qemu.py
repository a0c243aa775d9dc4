#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under QEMU: the one place that builds QEMU command lines.

A scenario is a set of virtio devices and the guest tests to run on them
(vtest=a,b,c on the kernel command line, see guest/init).  Each boot gets a
fresh 64 MiB raw disk image in BUILD, and its serial console goes to
BUILD/logs/<scenario>.log.

Library:
    import qemu
    boot = qemu.boot(qemu.SCENARIOS["modern"], build, kunit=True)
    boot.log, boot.failure()

Command (used by `make run` and `make shell`):
    qemu.py [--build DIR] [--kunit] [--timeout S] [--quiet] SCENARIO
"""
import argparse
import dataclasses
import os
import subprocess
import sys
import threading
import time

import logparse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DISK_BYTES = 64 << 20
TIMEOUT = 300       # seconds for a whole boot
POWEROFF_GRACE = 30  # seconds from "VTEST DONE" to QEMU's exit


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    tests: str              # the guest's vtest=, e.g. "blk,rng" or "shell"
    transitional: bool      # devices with the legacy interface too
    interactive: bool = False
    props: str = ""         # more properties for both devices, e.g. ",packed=on"


SCENARIOS = {s.name: s for s in (
    Scenario("modern", "blk,rng,leaks", transitional=False),
    Scenario("transitional", "blk,rng", transitional=True),
    Scenario("packed", "blk,rng,leaks", transitional=False, props=",packed=on"),
    Scenario("demo", "demo", transitional=False),
    Scenario("shell", "shell", transitional=False, interactive=True),
)}


def device_args(scenario, disk):
    """-drive/-device/-object arguments: a virtio-blk and a virtio-rng on PCI.

    Modern devices have disable-legacy=on; without it, on the q35 root bus,
    QEMU makes transitional devices (legacy and modern interfaces).
    """
    props = ("" if scenario.transitional else ",disable-legacy=on") + scenario.props
    return [
        "-drive", f"file={disk},format=raw,if=none,id=disk0",
        "-device", f"virtio-blk-pci,drive=disk0{props}",
        "-object", "rng-random,filename=/dev/urandom,id=rng0",
        "-device", f"virtio-rng-pci,rng=rng0{props}",
    ]


def command(kernel, initrd, devices, append):
    """The QEMU command line: q35, 2 CPUs, 1 GiB, serial console on stdio."""
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        accel = ["-accel", "kvm", "-accel", "tcg"]
    else:
        accel = ["-accel", "tcg"]
    return [
        "qemu-system-x86_64", "-M", "q35", *accel, "-m", "1G", "-smp", "2",
        "-nographic", "-no-reboot", "-nic", "none",
        "-kernel", kernel, "-initrd", initrd, "-append", append,
        *devices,
    ]


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


def prepare(scenario, build, kunit=False, kernel=None, initrd=None):
    """A fresh disk image and the QEMU command line for scenario."""
    kernel = kernel or os.path.join(build, "obj", "arch", "x86", "boot", "bzImage")
    initrd = initrd or os.path.join(build, "initramfs.cpio.gz")
    for path, make in ((kernel, "make kernel"), (initrd, "make initramfs")):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} missing: run '{make}'")
    disk = os.path.join(build, f"disk-{scenario.name}.img")
    with open(disk, "wb") as f:
        f.truncate(DISK_BYTES)
    append = " ".join([
        "console=ttyS0", "panic=-1", f"kunit.enable={int(kunit)}",
        f"vtest={scenario.tests}", f"vtest.disk_sectors={DISK_BYTES // 512}",
    ])
    return command(kernel, initrd, device_args(scenario, disk), append)


def boot(scenario, build, kunit=False, timeout=TIMEOUT, echo=False,
         kernel=None, initrd=None):
    """Boot scenario non-interactively and return a Boot with its console log."""
    cmd = prepare(scenario, build, kunit, kernel, initrd)
    log_path = os.path.join(build, "logs", f"{scenario.name}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    lines = []
    done = threading.Event()

    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def reader():
        with open(log_path, "w") as log:
            log.write("# " + " ".join(cmd) + "\n")
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "")
                lines.append(line)
                log.write(line + "\n")
                log.flush()
                if echo:
                    print(line, flush=True)
                if logparse.reached_done(line):
                    done.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    timed_out = False
    deadline = start + timeout
    while proc.poll() is None:
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
    log = "\n".join(lines) + "\n"
    if timed_out:
        with open(log_path, "a") as f:
            f.write(f"qemu.py: killed QEMU after {seconds:.0f} s\n")
    return Boot(scenario.name, log, log_path, proc.returncode, timed_out, seconds)


def interactive(scenario, build, kunit=False, kernel=None, initrd=None):
    """Boot scenario with the console on this terminal; QEMU's exit code."""
    cmd = prepare(scenario, build, kunit, kernel, initrd)
    print("qemu.py: Ctrl-A X quits QEMU", flush=True)
    return subprocess.call(cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--build", default=os.environ.get("BUILD") or os.path.join(REPO, "build"))
    ap.add_argument("--kernel", help="default: BUILD/obj/arch/x86/boot/bzImage")
    ap.add_argument("--initrd", help="default: BUILD/initramfs.cpio.gz")
    ap.add_argument("--kunit", action="store_true", help="run the built-in KUnit suites")
    ap.add_argument("--timeout", type=int, default=TIMEOUT, help="seconds (default %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="do not echo the console")
    args = ap.parse_args()

    scenario = SCENARIOS[args.scenario]
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
