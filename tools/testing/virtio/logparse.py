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


def splats(log):
    """Console lines that show a kernel bug, warning or sanitizer report."""
    return [line for line in log.splitlines()
            if SPLATS.search(line) and not BENIGN.search(line)]


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
