#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The test command (`make test`): every check of our virtio subsystem.

Layers, each check counted once and printed as "PASS <layer>/<name>" or
"FAIL <layer>/<name>: <reason>":
  static  checkpatch --strict on each of our .c/.h files; sparse (C=2) and
          W=1 on our objects, failing on any warning in our files; an
          allyesconfig enabling no upstream-API user and CONFIG_VIRTIO=y.
  ring    tools/virtio: our ring built in userspace, directed tests and a
          threaded stress under ASan+UBSan, then a bounded libFuzzer run
          with a hostile device (one check per PASS/FAIL line it prints).
  kunit   the KUnit suites built into the kernel, run at boot of the
          modern scenario (kunit.enable=1): one check per leaf test case.
  qemu    the scenarios of QEMU_SCENARIOS (qemu.py's SCENARIOS), one boot
          each: one check per VTEST line, plus <scenario>/boot (reached
          VTEST DONE) and <scenario>/clean-log (no kernel splat).
  cross   for each guest of CROSS_SCENARIOS: cross/<guest>/build (make
          kernel initramfs GUEST=<guest>; a failed build is a failed
          check), then its scenarios' boots, reported as in qemu; the
          CROSS_KUNIT ones also run KUnit (kunit-<guest>/...).
The last line is "N passed, N failed" (", N skipped" if any); the exit
status is 1 if anything failed.  Expects `make kernel initramfs` done.
"""
import argparse
import collections
import dataclasses
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import logparse
import qemu

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
LAYERS = ("static", "ring", "kunit", "qemu", "cross")
SOURCE_DIRS = ("drivers", "include", "kernel")
LOG_TAIL = 30
QEMU_SCENARIOS = (      # modern first: it also runs KUnit
    "modern", "transitional", "packed", "split-no-event-no-indirect",
    "packed-no-event-no-indirect", "small-queue",
    "legacy", "forced-legacy", "msix-shared", "intx", "mmio-v2", "mmio-v1",
    "mmio-cmdline",
    "net", "net-peers", "net-tap", "net-no-csum", "net-no-tso", "net-no-mrg-rxbuf",
    "net-mq", "net-small-queue", "upstream", "upstream-platform", "lifecycle",
    "hotplug", "hotplug-pcie",
)
# Under TCG (no working KVM) an x86 boot takes minutes, and the whole
# matrix would not fit CI's budget: these are reported as skipped then.
# Their paths are also taken by others: net (the hub: no offloads at all)
# and net-tap (every offload).
TCG_SKIPPED = {
    "net-no-csum": "no checksum offload, as on the hub (net)",
    "net-no-tso": "checksum offload without TSO",
}
# Cross-built guests: arm64; big-endian ppc64 (legacy virtio devices are
# guest-endian there, modern ones little-endian).
CROSS_SCENARIOS = {
    "arm64": ("arm64-mmio", "arm64-pci"),
    "ppc64": ("ppc64-legacy", "ppc64-modern"),
}
# The KUnit suites again on a weakly ordered machine ("kunit-arm64/...")
# and on a big-endian one ("kunit-ppc64/...").
CROSS_KUNIT = ("arm64-pci", "ppc64-modern")


class Results:
    def __init__(self):
        self.counts = collections.Counter()

    def add(self, name, status, reason=None, details=()):
        """Record one check; status is "pass", "fail" or "skip"."""
        self.counts[status] += 1
        word = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[status]
        print(f"{word} {name}" + (f": {reason}" if reason else ""), flush=True)
        for line in details:
            print(f"    | {line}")

    def check(self, name, problems, details=()):
        """PASS if problems is empty, else FAIL with the first problem."""
        if not problems:
            self.add(name, "pass")
        else:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            self.add(name, "fail", problems[0] + more, details)

    def summary(self):
        line = f"{self.counts['pass']} passed, {self.counts['fail']} failed"
        if self.counts["skip"]:
            line += f", {self.counts['skip']} skipped"
        return line


@dataclasses.dataclass
class Tree:
    build: str
    jobs: int

    @property
    def src(self):
        return os.path.join(self.build, "linux-source-6.12")

    @property
    def obj(self):
        return os.path.join(self.build, "obj")

    def make(self, obj, *args):
        """make in the base tree with objects in obj; (returncode, output)."""
        cmd = ["make", "-C", self.src, f"O={obj}", f"-j{self.jobs}", *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, text=True, errors="replace")
        return p.returncode, p.stdout

    def relpath(self, path, obj):
        """path as compilers print it, relative to the source tree."""
        full = os.path.normpath(os.path.join(obj, path))
        rel = os.path.relpath(full, os.path.realpath(self.src))
        if rel.startswith(".."):
            rel = os.path.relpath(full, self.src)
        return rel


# --- What is ours -----------------------------------------------------------

def our_sources():
    """Our .c and .h files, relative to the repository (and the tree)."""
    found = []
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(REPO, top)):
            found += [os.path.relpath(os.path.join(dirpath, f), REPO)
                      for f in files if f.endswith((".c", ".h"))]
    return sorted(found)


def our_objects(sources):
    """make targets for our code: drivers/virtio/ and each other driver .c.

    A driver's *_test.c is #included by the driver: no object of its own.
    """
    objects = ["drivers/virtio/"]
    objects += [s[:-2] + ".o" for s in sources
                if s.startswith("drivers/") and s.endswith(".c")
                and not s.startswith("drivers/virtio/")
                and not s.endswith("_test.c")]
    return objects


def is_ours(rel, sources):
    """Ours: drivers/virtio/ also holds base-tree files we build unmodified."""
    return rel in sources


def upstream_api_users():
    with open(os.path.join(HERE, "upstream-api-users")) as f:
        return [line.split()[1] for line in f if line.strip() and not line.startswith("#")]


KCONFIG_ENTRY = re.compile(r"^(?:menu)?config[ \t]+(\w+)[ \t]*$", re.M)


def kconfig_entries(path):
    """{symbol: the text of its entry} of a Kconfig file."""
    with open(path) as f:
        text = f.read()
    starts = list(KCONFIG_ENTRY.finditer(text))
    return {m.group(1): text[m.end():(starts[i + 1].start() if i + 1 < len(starts)
                                      else len(text))]
            for i, m in enumerate(starts)}


def gated_in_ours():
    """Symbols of our drivers/virtio/Kconfig that wait for the upstream API."""
    entries = kconfig_entries(os.path.join(REPO, "drivers", "virtio", "Kconfig"))
    return [sym for sym, body in entries.items()
            if re.search(r"^\s*depends on VIRTIO_UPSTREAM_API\s*$", body, re.M)]


# --- static -------------------------------------------------------------------

DIAGNOSTIC = re.compile(r"^([^\s:]+):(\d+):(?:\d+:)?\s+(warning|error):\s*(.*)$")


def diagnostics_in_ours(output, tree, obj, sources):
    """Compiler/sparse warnings and errors located in our files."""
    found = []
    for line in output.splitlines():
        m = DIAGNOSTIC.match(line)
        if m and is_ours(tree.relpath(m.group(1), obj), sources):
            found.append(f"{tree.relpath(m.group(1), obj)}:{m.group(2)}: "
                         f"{m.group(3)}: {m.group(4)}")
    return found


def make_problems(rc, output, what):
    if rc == 0:
        return []
    lines = output.splitlines()
    errors = ([line for line in lines if ": error:" in line] or
              [line for line in lines if "error" in line.lower()])
    return [f"{what} failed: " + (errors[0] if errors else logparse.last_lines(output, 1))]


def static_checkpatch(res, tree, sources):
    script = os.path.join(tree.src, "scripts", "checkpatch.pl")
    for src in sources:
        name = f"static/checkpatch/{src}"
        if not os.path.exists(script):
            res.add(name, "fail", f"{script} missing: run 'make overlay'")
            continue
        p = subprocess.run([script, "--strict", "--no-tree", "--terse", "--no-summary",
                            "--show-types", "-f", src], cwd=REPO, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        issues = [line for line in p.stdout.splitlines()
                  if re.search(r"\b(ERROR|WARNING|CHECK):", line)]
        if p.returncode and not issues:
            issues = [f"checkpatch failed: {logparse.last_lines(p.stdout, 1)}"]
        res.check(name, issues, issues[1:10])


def static_sparse(res, tree, sources, objects):
    rc, out = tree.make(tree.obj, "C=2", *objects)
    problems = make_problems(rc, out, "make C=2") + diagnostics_in_ours(out, tree, tree.obj, sources)
    res.check("static/sparse", problems, problems[1:20])


def static_w1(res, tree, sources, objects):
    """W=1 in a tree of its own (BUILD/obj-w1), so the kernel's objects stay."""
    wobj = os.path.join(tree.build, "obj-w1")
    os.makedirs(wobj, exist_ok=True)
    config = os.path.join(tree.obj, ".config")
    if not os.path.exists(config):
        res.add("static/W=1", "fail", f"{config} missing: run 'make config'")
        return
    wconfig = os.path.join(wobj, ".config")
    if not os.path.exists(wconfig) or not filecmp.cmp(config, wconfig, shallow=False):
        shutil.copyfile(config, wconfig)
    rc, out = tree.make(wobj, "olddefconfig")
    if rc == 0:
        for target in objects:      # recompile ours, so that warnings show
            path = os.path.join(wobj, target)
            stale = ([os.path.join(path, f) for f in os.listdir(path) if f.endswith(".o")]
                     if target.endswith("/") and os.path.isdir(path) else [path])
            for f in stale:
                if os.path.exists(f):
                    os.remove(f)
        rc, out = tree.make(wobj, "W=1", *objects)
    problems = make_problems(rc, out, "make W=1") + diagnostics_in_ours(out, tree, wobj, sources)
    res.check("static/W=1", problems, problems[1:20])


def static_kconfig(res, tree):
    """allyesconfig of the overlaid tree enables no upstream-API user, and
    no symbol of the base tree's drivers/virtio/Kconfig went missing."""
    tmp = tempfile.mkdtemp(prefix="kconfig-", dir=tree.build)
    try:
        rc, out = tree.make(tmp, "allyesconfig")
        problems = make_problems(rc, out, "make allyesconfig")
        if not problems:
            with open(os.path.join(tmp, ".config")) as f:
                config = dict(re.findall(r"^CONFIG_(\w+)=(.*)$", f.read(), re.M))
            problems = [f"CONFIG_{s}={config[s]} (upstream virtio API user)"
                        for s in upstream_api_users() + gated_in_ours() if s in config]
            for sym in ("VIRTIO", "VIRTIO_ANCHOR"):
                if config.get(sym) != "y":
                    problems.append(f"CONFIG_{sym}={config.get(sym, 'unset')}, want y")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base = os.path.join(tree.build, "pristine", "drivers", "virtio", "Kconfig")
    if not os.path.exists(base):
        problems.append(f"{base} missing: run 'make overlay'")
    else:
        ours = kconfig_entries(os.path.join(REPO, "drivers", "virtio", "Kconfig"))
        problems += [f"CONFIG_{sym} of the base tree's drivers/virtio/Kconfig is gone"
                     for sym in kconfig_entries(base) if sym not in ours]
    res.check("static/kconfig", problems, problems[1:20])


# Every symbol Debian's configs set that is about virtio.
VIRTIO_SYMBOL = re.compile(r"VIRTIO|VHOST|VDPA|^VIRT$")
DEBIAN_CONFIGS = ("config.amd64_none_amd64", "config.amd64_none_cloud-amd64")
DEBIAN_CONFIG_DIR = "/usr/src/linux-config-6.12"


def read_config(path):
    """{symbol: value} of a .config (xz-compressed or not)."""
    if path.endswith(".xz"):
        text = subprocess.run(["xz", "-dc", path], stdout=subprocess.PIPE,
                              check=True, text=True).stdout
    else:
        with open(path) as f:
            text = f.read()
    return dict(re.findall(r"^CONFIG_(\w+)=(.*)$", text, re.M))


def static_debian_config(res, tree):
    """Debian's own 6.12 configs, through olddefconfig on the overlaid tree,
    keep every virtio symbol Debian sets at Debian's value.  The symbols
    upstream-api-users gates (each with its reason) and their sub-options
    are printed as known gaps; any other difference fails."""
    gated = set(upstream_api_users() + gated_in_ours())
    for name in DEBIAN_CONFIGS:
        path = os.path.join(DEBIAN_CONFIG_DIR, name + ".xz")
        check = f"static/debian-config/{name}"
        if not os.path.exists(path):
            res.add(check, "fail", f"{path} missing: run 'make deps'")
            continue
        tmp = tempfile.mkdtemp(prefix="debian-", dir=tree.build)
        try:
            debian = read_config(path)
            with open(os.path.join(tmp, ".config"), "w") as f:
                f.writelines(f"CONFIG_{k}={v}\n" for k, v in debian.items())
            rc, out = tree.make(tmp, "olddefconfig")
            problems = make_problems(rc, out, "make olddefconfig")
            gaps = []
            if not problems:
                ours = read_config(os.path.join(tmp, ".config"))
                for sym in sorted(k for k in debian if VIRTIO_SYMBOL.search(k)):
                    if ours.get(sym) == debian[sym]:
                        continue
                    line = f"CONFIG_{sym}: Debian {debian[sym]}, ours {ours.get(sym, 'unset')}"
                    # Gated, or a sub-option of a gated one (DRM_VIRTIO_GPU_KMS).
                    known = any(sym == g or sym.startswith(g + "_") for g in gated)
                    (gaps if known else problems).append(line)
            if gaps:
                print(f"{check}: {len(gaps)} known gaps (upstream-api-users): "
                      + ", ".join(g.split(":")[0] for g in gaps))
            res.check(check, problems, problems[1:30])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


VIRTIO_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](?:uapi/)?linux/virtio\w*\.h[>"]', re.M)
LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s*"([\w./-]+\.h)"', re.M)
NOT_X86_SOURCES = ("tools/", "Documentation/", "samples/", "scripts/", "usr/")


def virtio_header_users(src):
    """Objects (x86 and generic) whose source includes a virtio header,
    directly or through a header of its own directory that does."""
    texts = {}
    for top, dirs, files in os.walk(src):
        rel = os.path.relpath(top, src)
        if rel.startswith(NOT_X86_SOURCES) or (rel.startswith("arch/")
                                                and not rel.startswith("arch/x86")):
            dirs[:] = []
            continue
        for f in files:
            if f.endswith((".c", ".h")):
                with open(os.path.join(top, f), errors="replace") as fh:
                    texts[os.path.normpath(os.path.join(rel, f))] = fh.read()
    local = {p for p, t in texts.items() if p.endswith(".h") and not p.startswith("include/")
             and VIRTIO_INCLUDE.search(t)}
    return sorted(p[:-2] + ".o" for p, t in texts.items()
                  if p.endswith(".c") and (
                      VIRTIO_INCLUDE.search(t) or
                      any(os.path.normpath(os.path.join(os.path.dirname(p), h)) in local
                          for h in LOCAL_INCLUDE.findall(t))))


MAKEFILE_ASSIGN = re.compile(r"^\s*([\w-]+?)-(y|m|objs|\$\((?:subst m,y,\$\()?CONFIG_(\w+)\)\)?)"
                             r"\s*[:+]?=(.*)$")


def makefile_lines(path):
    """The logical lines (continuations joined) of a kbuild Makefile."""
    for name in ("Kbuild", "Makefile"):     # kbuild's order
        f = os.path.join(path, name)
        if os.path.exists(f):
            with open(f, errors="replace") as fh:
                return fh.read().replace("\\\n", " ").splitlines()
    return []


def kbuild_enabled(src, target, config, depth=0):
    """Does the configuration build @target (dir/file.o or dir/sub/), as
    the Makefiles on the way say?  Composite objects (foo-y += file.o) and
    directories are followed up to the top."""
    d, name = os.path.split(target.rstrip("/"))
    name += "/" if target.endswith("/") else ""
    if d in ("", "arch"):
        return True     # drivers/, net/, arch/x86/, ...: always descended
    if depth > 8:
        return False
    word = re.compile(r"(?<![\w/.-])" + re.escape(name) + r"(?![\w.-])")
    for line in makefile_lines(os.path.join(src, d)):
        m = MAKEFILE_ASSIGN.match(line)
        if not m or not word.search(m.group(4)):
            continue
        var, sym = m.group(1), m.group(3)
        if sym and config.get(sym) not in ("y", "m"):
            continue
        if var in ("obj", "lib", "core", "drivers", "subdir"):
            if kbuild_enabled(src, d + "/", config, depth + 1):
                return True
        elif kbuild_enabled(src, f"{d}/{var}.o", config, depth + 1):
            return True
    return False


def static_allmodconfig(res, tree, sources):
    """allmodconfig of the overlaid tree builds every object that includes a
    virtio header (those the gates leave on): no compiler error in any of
    them, no warning in ours.  In BUILD/obj-allmod, kept for ccache and make."""
    aobj = os.path.join(tree.build, "obj-allmod")
    os.makedirs(aobj, exist_ok=True)
    rc, out = tree.make(aobj, "allmodconfig")
    problems = make_problems(rc, out, "make allmodconfig")
    if not problems:
        rc, out = tree.make(aobj, "prepare")
        problems = make_problems(rc, out, "make prepare")
    if not problems:
        config = read_config(os.path.join(aobj, ".config"))
        users = virtio_header_users(tree.src)
        objects = [o for o in users if kbuild_enabled(tree.src, o, config)]
        for o in objects:       # rebuild, so that warnings show every run
            path = os.path.join(aobj, o)
            if os.path.exists(path):
                os.remove(path)
        rc, out = tree.make(aobj, "-k", *objects)
        for line in out.splitlines():
            m = DIAGNOSTIC.match(line)
            if not m:
                continue
            rel = tree.relpath(m.group(1), aobj)
            if m.group(3) == "error" or is_ours(rel, sources):
                problems.append(f"{rel}:{m.group(2)}: {m.group(3)}: {m.group(4)}")
        missing = [o for o in objects if not os.path.exists(os.path.join(aobj, o))]
        print(f"static/allmodconfig: {len(objects) - len(missing)} of {len(objects)} "
              f"enabled objects built; {len(users) - len(objects)} of the {len(users)} "
              "that include a virtio header are gated off or not x86")
        problems += [f"{o}: not built" for o in missing]
    res.check("static/allmodconfig", problems, problems[1:30])


def run_static(res, tree):
    sources = our_sources()
    objects = our_objects(sources)
    static_checkpatch(res, tree, sources)
    if not os.path.exists(os.path.join(tree.obj, ".config")):
        for name in ("sparse", "W=1"):
            res.add(f"static/{name}", "fail", "no configured kernel: run 'make kernel'")
    else:
        static_sparse(res, tree, sources, objects)
        static_w1(res, tree, sources, objects)
    static_kconfig(res, tree)
    static_debian_config(res, tree)
    static_allmodconfig(res, tree, sources)


# --- ring ---------------------------------------------------------------------

def run_ring(res, tree):
    """make -k -C tools/virtio check fuzz-check: one check per PASS/FAIL line."""
    proc = subprocess.run(["make", "-s", "-k", "-C", os.path.join(REPO, "tools", "virtio"),
                           f"BUILD={tree.build}", "check", "fuzz-check"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = False
    for line in proc.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) (\S+?)(?:: (.*))?$", line)
        if m:
            seen = True
            ok = m.group(1) == "PASS"
            res.add("ring/" + m.group(2), "pass" if ok else "fail",
                    None if ok else m.group(3))
    if proc.returncode and not seen:
        res.add("ring/build", "fail", f"make exited {proc.returncode}",
                proc.stdout.splitlines()[-LOG_TAIL:])


# --- kunit and qemu -----------------------------------------------------------

def boot(res, scenario, tree, kunit, timeout):
    """Boot a scenario: its Boots (two for a peers scenario), or [] (and a
    FAIL) if it could not be started."""
    try:
        return qemu.boot_all(scenario, tree.build, kunit=kunit, timeout=timeout)
    except (FileNotFoundError, OSError) as e:
        res.add(f"qemu/{scenario.name}/boot", "fail", str(e))
        return []


# Every KUnit suite of ours; virtio_net's runs only if init loaded the driver.
KUNIT_SUITES = ("virtio_bus", "virtio_config", "virtio_ring", "virtio_ring_event_idx",
                "virtio_ring_indirect", "virtio_ring_packed", "virtqueue_api",
                "virtqueue_api_index", "virtio_net")


def report_kunit(res, result, layer="kunit"):
    if result is None:
        res.add(f"{layer}/ktap", "fail", "the scenario did not boot")
        return
    cases, problems = logparse.parse_ktap(result.log)
    worst = {}      # a case re-run (module reload) counts once, failed if any run failed
    order = {"skip": 0, "pass": 1, "fail": 2}
    for case in cases:
        if case.path not in worst or order[case.status] > order[worst[case.path].status]:
            worst[case.path] = case
    for case in worst.values():
        reason = case.reason
        if case.status == "fail":
            reason = f"{reason or 'failed'}; log: {result.log_path}"
        res.add(f"{layer}/{case.path}", case.status, reason)
    if not cases and not problems:
        problems = ["KTAP has no test cases (CONFIG_VIRTIO_KUNIT_TEST?)"]
    # A suite that never ran (its module did not load, its config symbol
    # went) leaves no failed case behind: name the ones that must run.
    ran = {case.path.split("/")[0] for case in cases}
    problems += [f"suite {suite} did not run" for suite in KUNIT_SUITES if suite not in ran]
    if problems:
        res.check(f"{layer}/ktap", [f"{p}; log: {result.log_path}" for p in problems],
                  logparse.last_lines(result.log, 5).splitlines())


def report_boot(res, result):
    name = f"qemu/{result.scenario}"
    for check in logparse.vtest_results(result.log):
        res.add(f"{name}/{check.name}", "pass" if check.ok else "fail", check.reason)
    failure = result.failure()
    res.check(f"{name}/boot", [failure] if failure else [],
              logparse.last_lines(result.log, LOG_TAIL).splitlines() if failure else ())
    splats, known = logparse.classify_splats(result.log)
    if failure and not splats:
        # A log that stops early says nothing of what the tests would have
        # shown: no pass for it.
        res.add(f"{name}/clean-log", "skip", "the boot did not reach VTEST DONE")
        return
    if known and not splats:
        res.add(f"{name}/clean-log", "pass", "only the known base-tree " +
                "; ".join(sorted(set(known))))
        return
    res.check(f"{name}/clean-log",
              [f"{len(splats)} kernel splat lines, first: {splats[0].strip()}; "
               f"log: {result.log_path}"] if splats else [], splats[1:20])


# x86 boots run two at a time after the first: a booting guest keeps about
# one vCPU busy, so under TCG two of them share the two cores better than
# one (measured here: two blk boots in 2 min 34 s together, 2 min 5 s each
# alone).  Tap scenarios share one bridge and wait for each other, so a
# worker takes one only while no other runs.  Timeouts get the slowdown.
PARALLEL_BOOTS = 2
PARALLEL_TIMEOUT = 1.5


def run_parallel(res, tree, scenarios, timeout, report, kunit=()):
    """Boot scenarios PARALLEL_BOOTS at a time (those named in kunit with
    KUnit), calling report(res, scenario, results) as each ends."""
    lock = threading.Lock()
    queue = sorted(scenarios, key=lambda s: not s.taps)    # the tap chain first
    taps = [0]

    def take():
        with lock:
            for i, s in enumerate(queue):
                if not (s.taps and taps[0]):
                    taps[0] += bool(s.taps)
                    return queue.pop(i)
            if queue:       # only tap scenarios left: wait for the bridge
                taps[0] += 1
                return queue.pop(0)
            return None

    def worker():
        while (scenario := take()) is not None:
            try:
                results = qemu.boot_all(scenario, tree.build, kunit=scenario.name in kunit,
                                        timeout=int(timeout * PARALLEL_TIMEOUT))
                error = None
            except (FileNotFoundError, OSError) as e:
                results, error = [], str(e)
            with lock:
                taps[0] -= bool(scenario.taps)
                if error:
                    res.add(f"qemu/{scenario.name}/boot", "fail", error)
                report(res, scenario, results)

    threads = [threading.Thread(target=worker) for _ in range(PARALLEL_BOOTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def report_boots(res, scenario, results):
    for result in results:
        report_boot(res, result)


def run_guest(res, tree, layers, timeout):
    """Boot each scenario; the first one, alone, also runs KUnit
    (kunit.enable=1) and, for this process, the KVM probe."""
    later = []
    for i, name in enumerate(QEMU_SCENARIOS if "qemu" in layers else QEMU_SCENARIOS[:1]):
        scenario = qemu.SCENARIOS[name]
        if "qemu" not in layers:
            scenario = dataclasses.replace(scenario, tests="")
        if (name in TCG_SKIPPED and os.path.exists(os.path.join(tree.build, "obj")) and
                qemu.accelerator_of(scenario, tree.build)[0] == "tcg"):
            res.add(f"qemu/{name}", "skip",
                    f"not booted under TCG (CI budget): {TCG_SKIPPED[name]}")
            continue
        if i:
            later.append(scenario)
            continue
        kunit = "kunit" in layers
        results = boot(res, scenario, tree, kunit=kunit, timeout=timeout)
        if kunit:
            report_kunit(res, results[0] if results else None)
        if "qemu" in layers:
            for result in results:
                report_boot(res, result)
    if "qemu" in layers:
        run_parallel(res, tree, later, timeout, report_boots)


def run_cross(res, tree, timeout):
    """Build each cross guest (a failure is a FAIL, not a skip), then boot
    the scenarios of those built, two at a time."""
    scenarios = []
    for guest, names in CROSS_SCENARIOS.items():
        proc = subprocess.run(["make", "-C", REPO, f"BUILD={tree.build}", f"GUEST={guest}",
                               f"JOBS={tree.jobs}", "kernel", "initramfs"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = proc.stdout.splitlines()
        problems = [f"make kernel initramfs GUEST={guest} exited {proc.returncode}"
                    ] if proc.returncode else []
        res.check(f"cross/{guest}/build", problems, out[-LOG_TAIL:])
        if not problems:
            scenarios += [qemu.SCENARIOS[name] for name in names]

    def report(res, scenario, results):
        if scenario.name in CROSS_KUNIT:
            report_kunit(res, results[0] if results else None, f"kunit-{scenario.guest}")
        report_boots(res, scenario, results)

    run_parallel(res, tree, scenarios, timeout, report, kunit=CROSS_KUNIT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=LAYERS, action="append",
                    help="run only this layer (may be repeated)")
    ap.add_argument("--keep-going", action="store_true", default=True,
                    help="run every layer even after failures (the default)")
    ap.add_argument("--fail-fast", dest="keep_going", action="store_false",
                    help="stop after the first layer with a failure")
    ap.add_argument("--build", default=os.environ.get("BUILD") or os.path.join(REPO, "build"))
    ap.add_argument("--timeout", type=int, default=qemu.TIMEOUT,
                    help="seconds per QEMU boot (default %(default)s)")
    args = ap.parse_args()

    layers = args.only or list(LAYERS)
    jobs = int(os.environ.get("JOBS") or (os.cpu_count() or 1) + 1)
    tree = Tree(os.path.abspath(args.build), jobs)
    res = Results()
    if "static" in layers:
        run_static(res, tree)
    if "ring" in layers:
        run_ring(res, tree)
    if ("kunit" in layers or "qemu" in layers) and (args.keep_going or not res.counts["fail"]):
        run_guest(res, tree, layers, args.timeout)
    if "cross" in layers and (args.keep_going or not res.counts["fail"]):
        run_cross(res, tree, args.timeout)
    print(res.summary())
    return 1 if res.counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
