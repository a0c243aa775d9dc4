# SPDX-License-Identifier: GPL-2.0
"""Read a guest's serial console log: VTEST lines, kernel splats, KTAP.

Kernel lines may carry a printk timestamp ("[    1.234567] "), and kernel
messages may interleave with the guest's output; every reader here allows
for both.
"""
import collections
import re

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")

# --- VTEST lines from the guest tests (guest/tests/lib.sh) ------------------

Check = collections.namedtuple("Check", "name ok reason")

VTEST_PASS = re.compile(r"VTEST PASS (\S+)\s*$")
VTEST_FAIL = re.compile(r"VTEST FAIL (\S+?)(?::\s*(.*))?$")
VTEST_DONE = re.compile(r"VTEST DONE\s*$", re.M)
VTEST_HOST = re.compile(r"VTEST HOST (\S+)((?: +\S+)*)\s*$")


def vtest_results(log):
    """The guest checks in order, each a Check(name, ok, reason)."""
    checks = []
    for line in log.splitlines():
        if m := VTEST_PASS.search(line):
            checks.append(Check(m.group(1), True, None))
        elif m := VTEST_FAIL.search(line):
            checks.append(Check(m.group(1), False, (m.group(2) or "").strip()))
    return checks


def reached_done(log):
    return bool(VTEST_DONE.search(log))


def host_request(line):
    """(action, args) of a guest's "VTEST HOST <action> <args...>" line, or None."""
    if m := VTEST_HOST.search(line):
        return m.group(1), tuple(m.group(2).split())
    return None


def last_lines(log, n):
    return "\n".join([line for line in log.splitlines() if line.strip()][-n:])


# --- Kernel splats ------------------------------------------------------------

SPLATS = re.compile("|".join(re.escape(s) for s in (
    "BUG:", "WARNING:", "Oops", "Call Trace", "possible circular locking",
    "possible recursive locking", "inconsistent lock state", "KASAN",
    "kmemleak", "sleeping function called from invalid context", "DMA-API",
)))

# Lines that match SPLATS but report no problem.  kmemleak's own leak
# count is judged by guest/tests/leaks.sh, which fails only for virtio.
BENIGN = re.compile("|".join((
    r"kmemleak: Kernel memory leak detector initialized",
    r"kmemleak: Automatic memory scanning thread (started|ended)",
    r"kmemleak: \d+ new suspected memory leaks? \(see /sys/kernel/debug/kmemleak\)",
    r"DMA-API: preallocated \d+ debug entries",
    r"DMA-API: debugging enabled by kernel config",
)))


# Reports from base-tree code that our patch does not touch, which a boot
# triggers through no fault of virtio's: (what it is, the patterns that its
# first lines match, in order).  A known report is shown, not failed, from
# its first line to the end of its backtrace; any other splat still fails.
KNOWN_BASE_SPLATS = (
    # Linux 6.12's pciehp_configure_device() drops and retakes
    # ctrl->reset_lock while it holds pci_rescan_remove_lock, the reverse
    # of pciehp_ist()'s order: every native PCIe hot-add reports it, with
    # no virtio frame in either chain.  Lockdep is off after it.
    ("pciehp: ctrl->reset_lock retaken under pci_rescan_remove_lock in "
     "pciehp_configure_device() (drivers/pci/hotplug/pciehp_pci.c)",
     (r"WARNING: possible circular locking dependency detected",
      r"is trying to acquire lock:",
      r"\(&ctrl->reset_lock\).* at: pciehp_configure_device\+",
      r"but task is already holding lock:",
      r"\(pci_rescan_remove_lock\).* at: pciehp_configure_device\+")),
)
KNOWN_SPAN = 12     # lines a known report's patterns must fit in
REPORT_END = re.compile(r"</TASK>|---\[ end trace")


def _known_report(lines, i):
    """The name of the known report that starts at lines[i], or None."""
    for name, patterns in KNOWN_BASE_SPLATS:
        at = i
        for pattern in patterns:
            while at < min(len(lines), i + KNOWN_SPAN) and not re.search(pattern, lines[at]):
                at += 1
            if at == min(len(lines), i + KNOWN_SPAN):
                break
        else:
            return name
    return None


def classify_splats(log):
    """(splats, known): console lines that show a kernel bug, warning or
    sanitizer report, and the names of the known base-tree reports seen."""
    lines = log.splitlines()
    found, known = [], []
    i = 0
    while i < len(lines):
        if SPLATS.search(lines[i]) and not BENIGN.search(lines[i]):
            if name := _known_report(lines, i):
                known.append(name)
                while i < len(lines) and not REPORT_END.search(lines[i]):
                    i += 1
            else:
                found.append(lines[i])
        i += 1
    return found, known


def splats(log):
    """Console lines that show a kernel bug, warning or sanitizer report,
    but for the known base-tree ones (KNOWN_BASE_SPLATS)."""
    return classify_splats(log)[0]


# --- KTAP from KUnit ------------------------------------------------------

KTAP_VERSION = re.compile(r"^( *)(?:KTAP|TAP) version \d+\s*$")
KTAP_PLAN = re.compile(r"^( *)1\.\.(\d+)\s*$")
KTAP_RESULT = re.compile(r"^( *)(ok|not ok) \d+ ?(.*?)\s*(?:#\s*(.*?))?\s*$")
KTAP_INDENT = 4
KTAP_NOISE = re.compile(r"^# (Subtest|module|speed):|^# .*: pass:\d+ fail:\d+")

Case = collections.namedtuple("Case", "path status reason")  # status: pass fail skip


class _Node:
    def __init__(self, name, status, reason, children):
        self.name, self.status, self.reason, self.children = name, status, reason, children

    def leaves(self, prefix=()):
        path = prefix + (self.name,)
        if not self.children:
            yield Case("/".join(path), self.status, self.reason)
        for child in self.children:
            yield from child.leaves(path)


def parse_ktap(log):
    """Leaf test cases and structural problems of all KTAP runs in the log.

    Returns (cases, problems): cases is a list of Case in log order, with
    path "suite/case" or "suite/case/param"; problems lists why the KTAP is
    missing, truncated or inconsistent (an empty list when it is complete).
    """
    cases, problems = [], []
    runs = 0
    pending = {}    # depth -> results read since the group at that depth opened
    plans = {}      # depth -> planned number of results
    notes = {}      # depth -> diagnostic lines since the last result there

    def close_run():
        top = pending.pop(0, [])
        if any(depth > 0 for depth in pending):
            open_at = top[-1].name if top else "the first suite"
            problems.append(f"KTAP ends inside a suite (after {open_at})")
        planned = plans.get(0)
        if planned is not None and len(top) < planned:
            problems.append(f"KTAP ends after {len(top)} of {planned} suites")
        for node in top:
            cases.extend(node.leaves())
        pending.clear()
        plans.clear()

    for raw in log.splitlines():
        line = TIMESTAMP.sub("", raw, count=1)
        if m := KTAP_VERSION.match(line):
            depth = len(m.group(1)) // KTAP_INDENT
            if depth == 0:
                if runs:
                    close_run()
                runs += 1
            pending[depth] = []
            plans.pop(depth, None)
            continue
        if not runs:
            continue
        if m := KTAP_PLAN.match(line):
            plans[len(m.group(1)) // KTAP_INDENT] = int(m.group(2))
        elif m := KTAP_RESULT.match(line):
            depth = len(m.group(1)) // KTAP_INDENT
            directive = m.group(4) or ""
            if directive.upper().startswith("SKIP"):
                status, reason = "skip", directive[4:].strip()
            elif m.group(2) == "ok":
                status, reason = "pass", None
            else:
                status = "fail"
                said = [n.removeprefix(f"# {m.group(3)}: ") for n in notes.get(depth, [])]
                reason = "; ".join(said[:2]) or None
            notes[depth] = []
            children = pending.pop(depth + 1, [])
            planned = plans.pop(depth + 1, None)
            if children and planned is not None and len(children) != planned:
                problems.append(f"{m.group(3)}: {len(children)} results for plan 1..{planned}")
            pending.setdefault(depth, []).append(_Node(m.group(3), status, reason, children))
        elif (indent := len(line) - len(line.lstrip(" "))) >= KTAP_INDENT:
            # A test's diagnostics, e.g. "# case: EXPECTATION FAILED at f.c:12".
            text = line.strip()
            if text and not KTAP_NOISE.match(text):
                notes.setdefault(indent // KTAP_INDENT, []).append(text)
    if runs:
        close_run()
    else:
        problems.append("no KTAP output on the console")
    return cases, problems
