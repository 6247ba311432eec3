#!/usr/bin/env python3
"""Differential harness: runs each test of a manifest natively and under
vmemu, judges both runs the same way and prints one table (passes natively,
passes under vmemu, differs, crashes vmemu, hangs), then checks the results
against a committed baseline of the tests that passed under vmemu last time.

Manifest: one test a line, '#' starts a comment, fields split as a shell
would (quotes work):

    NAME  JUDGE  LIMIT  [VAR=VALUE]...  PROGRAM  [ARG]...

  NAME     the test's name (unique in the manifest; may contain '/')
  JUDGE    how to judge a run:
             status[=N]  passes when the exit status is N (default 0)
             stdout[=N]  natively, passes when the exit status is N (default
                         0); under vmemu, passes when the exit status and the
                         standard output are byte for byte the native ones
             ltp         LTP's result lines (TPASS/TFAIL/TBROK/TCONF/TWARN on
                         stdout or stderr): passes on exit status 0; TCONF
                         alone (status 32) means "not applicable here"
             passfail    the suite's own PASS/FAIL lines: passes when there
                         is at least one PASS line, no FAIL line and status 0
  LIMIT    time limit in seconds of each run (native and vmemu alike)
  VAR=VAL  environment given to both runs
  PROGRAM  relative to --bindir unless absolute; ARGs follow.

In every field @BINDIR@ is the --bindir, @SRCDIR@ the manifest's directory
and @TMP@ a fresh empty directory of the run (also its working directory and
its TMPDIR), so that the native and the vmemu runs never share files.

A run of vmemu "crashes" when vmemu itself dies of a host signal, or prints
an internal error (a sanitizer report, an assertion, a CPU emulator failure):
every crash is a bug of vmemu. A run "hangs" when it exceeds its time limit
(or when vmemu reports that every guest task is blocked for ever).

Exit status: 0, or 1 when vmemu crashed or when a test that passes natively,
is listed in the baseline and is not a known difference no longer passes
under vmemu; 2 on a usage error.
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# What vmemu prints when it, not the guest, went wrong.
INTERNAL_ERROR_RES = [
    re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer"),
    re.compile(r"runtime error: "),
    re.compile(r"Assertion .* failed"),
    re.compile(r"^vmemu: .*CPU error at", re.M),
    re.compile(r"^vmemu: (the CPU emulator failed|operation not valid in this state|unknown error|out of host memory)$", re.M),
    re.compile(r"^vmemu: .*(internal error|BUG|not implemented: kernel)", re.M),
]
DEADLOCK_RE = re.compile(r"^vmemu: every guest task is blocked", re.M)
LTP_RESULT_RE = re.compile(r"\b(TPASS|TFAIL|TBROK|TCONF|TWARN)\b")
PASSFAIL_RE = re.compile(r"\b(PASS|FAIL)(ED)?\b")


class Test:
    def __init__(self, name, judge, expect, limit, env, argv, lineno):
        self.name, self.judge, self.expect = name, judge, expect
        self.limit, self.env, self.argv, self.lineno = limit, env, argv, lineno


class Run:
    """One execution: status (None on timeout), signal of the process
    itself (negative return code), output, seconds."""

    def __init__(self, status, out, err, secs, timed_out=False):
        self.status, self.out, self.err = status, out, err
        self.secs, self.timed_out = secs, timed_out
        self.outcome = "?"  # pass, FAIL, conf, HANG, CRASH, missing
        self.detail = ""


def parse_manifest(path):
    tests, names = [], set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                fields = shlex.split(line, comments=True)
            except ValueError as e:
                sys.exit(f"{path}:{lineno}: {e}")
            if not fields:
                continue
            if len(fields) < 4:
                sys.exit(f"{path}:{lineno}: want NAME JUDGE LIMIT PROGRAM [ARG]...")
            name, judge, limit = fields[0], fields[1], fields[2]
            if name in names:
                sys.exit(f"{path}:{lineno}: test {name} listed twice")
            names.add(name)
            kind, _, expect = judge.partition("=")
            if kind not in ("status", "stdout", "ltp", "passfail"):
                sys.exit(f"{path}:{lineno}: unknown judge '{judge}'")
            try:
                expect = int(expect) if expect else 0
                limit = float(limit)
            except ValueError:
                sys.exit(f"{path}:{lineno}: bad number in '{judge}' or '{limit}'")
            rest, env = fields[3:], {}
            while rest and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", rest[0]):
                k, _, v = rest.pop(0).partition("=")
                env[k] = v
            if not rest:
                sys.exit(f"{path}:{lineno}: no program")
            tests.append(Test(name, kind, expect, limit, env, rest, lineno))
    return tests


def read_name_list(path):
    """Names of a baseline file: one a line, '#' comments."""
    names = []
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    names.append(line)
    return names


def read_known(path, suite):
    """Known differences: 'SUITE NAME reason...' lines ('*' for any suite)."""
    known = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split(None, 2)
                if len(parts) < 3:
                    continue
                if parts[0] in (suite, "*"):
                    known[parts[1]] = parts[2]
    return known


def substitute(s, bindir, srcdir, tmp):
    return s.replace("@BINDIR@", bindir).replace("@SRCDIR@", srcdir).replace("@TMP@", tmp)


def execute(cmd, env, cwd, limit):
    start = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, cwd=cwd,
                             start_new_session=True)
    except OSError as e:
        return Run(None, b"", f"cannot run {cmd[0]}: {e}".encode(), 0.0)
    try:
        out, err = p.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            # A grandchild left the group and keeps the pipes open.
            p.kill()
            out, err = b"", b"(output lost: a child kept the pipes open)"
    # Whatever the test left behind in its session dies with it.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    secs = time.monotonic() - start
    return Run(None if timed_out else p.returncode, out, err, secs, timed_out)


def text(b):
    return b.decode("utf-8", "replace")


def ltp_lines(run):
    return [l for l in (text(run.out) + "\n" + text(run.err)).splitlines()
            if LTP_RESULT_RE.search(l)]


def judge_run(test, run, native=None, is_vmemu=False):
    """Sets run.outcome and run.detail."""
    if is_vmemu:
        err = text(run.err)
        if run.status is not None and run.status < 0:
            sig = -run.status
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            run.outcome, run.detail = "CRASH", f"vmemu died of host {name}"
            return
        for rx in INTERNAL_ERROR_RES:
            m = rx.search(err)
            if m:
                line = err[err.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                run.outcome, run.detail = "CRASH", line.strip()[:200]
                return
        if DEADLOCK_RE.search(err):
            run.outcome, run.detail = "HANG", "vmemu: every guest task is blocked (deadlock)"
            return
    if run.timed_out:
        run.outcome, run.detail = "HANG", f"time limit {test.limit:g}s"
        return
    if run.status is None:
        run.outcome, run.detail = "FAIL", text(run.err).strip()[:200]
        return
    st = run.status if run.status >= 0 else 128 - run.status
    if test.judge == "status":
        ok = st == test.expect
    elif test.judge == "stdout":
        if native is None:
            ok = st == test.expect
        else:
            ok = st == native.status and run.out == native.out
    elif test.judge == "ltp":
        if st == 32 or (st == 0 and not any("TPASS" in l for l in ltp_lines(run))
                        and any("TCONF" in l for l in ltp_lines(run))):
            run.outcome = "conf"
            conf = [l for l in ltp_lines(run) if "TCONF" in l]
            run.detail = conf[0].strip()[:200] if conf else "TCONF"
            return
        ok = st == 0
    else:  # passfail
        lines = text(run.out).splitlines()
        fails = [l for l in lines if re.search(r"\bFAIL(ED)?\b", l)]
        passes = [l for l in lines if re.search(r"\bPASS(ED)?\b", l)]
        ok = st == 0 and passes and not fails
    run.outcome = "pass" if ok else "FAIL"
    if not ok:
        run.detail = f"exit status {st}"


def normalise(line):
    """Digits vary between runs (pids, addresses, times): compare without."""
    return re.sub(r"0x[0-9a-fA-F]+|\d+", "N", line.strip())


def first_difference(test, native, vm):
    """The first line where the vmemu run departs from the native one."""
    if test.judge == "ltp":
        nl, vl = ltp_lines(native), ltp_lines(vm)
        nset = {normalise(l) for l in nl}
        for l in vl:
            if ("TFAIL" in l or "TBROK" in l or "TWARN" in l) and normalise(l) not in nset:
                return l.strip()
        for a, b in zip(nl, vl):
            if normalise(a) != normalise(b):
                return f"{b.strip()}  (native: {a.strip()})"
        if len(vl) < len(nl):
            return f"missing: {nl[len(vl)].strip()}"
        if len(vl) > len(nl):
            return vl[len(nl)].strip()
    else:
        nl = text(native.out).splitlines()
        vl = text(vm.out).splitlines()
        for i, (a, b) in enumerate(zip(nl, vl)):
            if a != b:
                return f"line {i + 1}: {b!r} (native {a!r})"
        if len(vl) < len(nl):
            errs = [l.strip() for l in text(vm.err).splitlines() if l.strip()]
            return (f"line {len(vl) + 1}: (missing) (native {nl[len(vl)]!r})"
                    + (f"; stderr: {errs[0]}" if errs else ""))
        if len(vl) > len(nl):
            return f"line {len(nl) + 1}: {vl[len(nl)]!r} (native: end of output)"
    if native.status != vm.status:
        # Nothing differs on stdout: the guest's or vmemu's last words.
        errs = [l for l in text(vm.err).splitlines() if l.strip()]
        vmlines = [l for l in errs if l.startswith("vmemu:") and "fatal signal" in l]
        tail = (vmlines or errs or [""])[0].strip()
        return f"exit status {vm.status} (native {native.status})" + (f": {tail}" if tail else "")
    if vm.outcome != "pass":
        errs = [l for l in text(vm.err).splitlines() if l.strip()]
        return errs[0].strip() if errs else vm.detail
    return ""


class Result:
    def __init__(self, test):
        self.test = test
        self.native = self.vm = None
        self.verdict = ""
        self.note = ""


def run_test(test, args, srcdir):
    res = Result(test)
    prog0 = test.argv[0]
    for which in ("native", "vmemu"):
        tmp = tempfile.mkdtemp(prefix="vmemu-compat-")
        try:
            argv = [substitute(a, args.bindir, srcdir, tmp) for a in test.argv]
            prog = argv[0]
            if not os.path.isabs(prog):
                prog = os.path.join(args.bindir, prog)
            if not os.path.exists(prog):
                res.verdict = "skip"
                res.note = f"missing program {prog}"
                return res
            argv = args.wrap + [prog] + argv[1:]
            env = dict(os.environ)
            env["TMPDIR"] = tmp
            env["PATH"] = args.bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
            env.update({k: substitute(v, args.bindir, srcdir, tmp) for k, v in test.env.items()})
            if which == "native":
                run = execute(argv, env, tmp, test.limit)
                judge_run(test, run)
                res.native = run
            else:
                cmd = [args.vmemu] + args.vmemu_args + argv
                run = execute(cmd, env, tmp, test.limit)
                judge_run(test, run, native=res.native, is_vmemu=True)
                res.vm = run
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    n, v = res.native, res.vm
    if v.outcome == "CRASH":
        res.verdict, res.note = "CRASH", v.detail
    elif n.outcome == "conf":
        res.verdict = "conf"
        res.note = n.detail if v.outcome == "conf" else f"native TCONF; vmemu {v.outcome}: " + first_difference(test, n, v)
    elif n.outcome != "pass":
        res.verdict = "native-fail"
        res.note = f"native {n.outcome} ({n.detail})"
        if v.outcome == "pass":
            res.note += ("; vmemu gives the same output" if test.judge == "stdout"
                         else "; passes under vmemu")
    elif v.outcome == "HANG":
        res.verdict, res.note = "HANG", v.detail
    elif v.outcome == "pass":
        res.verdict = "pass"
    else:
        res.verdict = "DIFF"
        res.note = first_difference(test, n, v) or v.detail
    return res


def md_escape(s):
    return s.replace("|", "\\|").replace("\n", " ")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True, help="suite name (baseline-SUITE.txt)")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--bindir", required=True, help="directory of the test binaries")
    ap.add_argument("--vmemu", default=os.environ.get("VMEMU", "vmemu"))
    ap.add_argument("--vmemu-args", default="", help="options given to vmemu before PROGRAM")
    ap.add_argument("--wrap", default="",
                    help="a program (and its options) put before PROGRAM in both runs, "
                         "e.g. tests/compat/bin/notinit so that PROGRAM is not pid 1")
    ap.add_argument("--baseline", help="default: tests/compat/baseline-SUITE.txt")
    ap.add_argument("--known", default=os.path.join(here, "known-differences.txt"))
    ap.add_argument("--update-baseline", action="store_true",
                    help="write the tests passing under vmemu to the baseline")
    ap.add_argument("--markdown", help="also write the results as a Markdown section")
    ap.add_argument("--only", action="append", default=[], help="run only tests matching this regex")
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--progress", action="store_true", help="report each test on stderr as it ends")
    ap.add_argument("-q", "--quiet", action="store_true", help="list only tests that do not pass")
    args = ap.parse_args()

    args.bindir = os.path.abspath(args.bindir)
    args.vmemu_args = shlex.split(args.vmemu_args)
    args.wrap = shlex.split(args.wrap)
    if args.wrap and not os.path.isabs(args.wrap[0]) and os.sep in args.wrap[0]:
        args.wrap[0] = os.path.abspath(args.wrap[0])
    if os.sep in args.vmemu:
        args.vmemu = os.path.abspath(args.vmemu)
    elif not shutil.which(args.vmemu):
        sys.exit(f"difftest: {args.vmemu}: not found (give --vmemu)")
    baseline_path = args.baseline or os.path.join(here, f"baseline-{args.suite}.txt")
    tests = parse_manifest(args.manifest)
    if args.only:
        rx = re.compile("|".join(args.only))
        tests = [t for t in tests if rx.search(t.name)]
    srcdir = os.path.dirname(os.path.abspath(args.manifest))
    baseline = set(read_name_list(baseline_path))
    known = read_known(args.known, args.suite)

    results = [None] * len(tests)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(run_test, t, args, srcdir): i for i, t in enumerate(tests)}
        for done, f in enumerate(concurrent.futures.as_completed(futs), 1):
            r = results[futs[f]] = f.result()
            if args.progress:
                print(f"[{done}/{len(tests)}] {r.test.name}: {r.verdict} {r.note}"[:300],
                      file=sys.stderr, flush=True)

    regressions, crashes = [], []
    for r in results:
        name = r.test.name
        if r.verdict in ("DIFF", "HANG") and name in known:
            r.note = f"known: {known[name]} -- {r.note}"
            r.verdict = "known"
        elif r.verdict == "pass" and name in known:
            r.note = "listed as a known difference but passes"
        if r.verdict == "CRASH":
            crashes.append(r)
        if (name in baseline and r.native is not None and r.native.outcome == "pass"
                and r.verdict not in ("pass", "known")):
            regressions.append(r)

    counts = {k: 0 for k in ("tests", "native", "vmemu", "DIFF", "CRASH", "HANG",
                             "known", "native-fail", "conf", "skip")}
    counts["tests"] = len(results)
    for r in results:
        if r.native and r.native.outcome == "pass":
            counts["native"] += 1
        if r.verdict == "pass":
            counts["vmemu"] += 1
        if r.verdict in counts and r.verdict not in ("tests", "native", "vmemu"):
            counts[r.verdict] += 1

    w = max([len(r.test.name) for r in results] + [4])
    print(f"{'test':<{w}}  {'native':<7} {'vmemu':<7} {'verdict':<11} note")
    for r in results:
        if args.quiet and r.verdict in ("pass", "conf", "skip"):
            continue
        nat = r.native.outcome if r.native else "-"
        vm = r.vm.outcome if r.vm else "-"
        secs = f" [{r.vm.secs:.1f}s]" if r.vm and r.vm.secs >= 5 else ""
        print(f"{r.test.name:<{w}}  {nat:<7} {vm:<7} {r.verdict:<11} {r.note}{secs}".rstrip())
    summary = (f"{args.suite}: {counts['tests']} tests, {counts['native']} pass natively, "
               f"{counts['vmemu']} of them pass under vmemu, {counts['DIFF']} differ, "
               f"{counts['CRASH']} crash vmemu, {counts['HANG']} hang, {counts['known']} known "
               f"differences, {counts['native-fail']} fail natively, {counts['conf']} not "
               f"applicable (TCONF), {counts['skip']} skipped")
    print(summary)

    passing = sorted(r.test.name for r in results
                     if r.verdict == "pass")
    new = [n for n in passing if n not in baseline]
    if new and not args.update_baseline:
        print(f"{len(new)} test(s) pass under vmemu but are not in {baseline_path}: "
              + " ".join(new[:20]) + (" ..." if len(new) > 20 else "")
              + " (run with --update-baseline)")
    if args.update_baseline:
        # Tests not run this time (--only, or skipped) keep their entry.
        ran = {r.test.name for r in results if r.verdict != "skip"}
        keep = sorted((baseline - ran) | set(passing))
        with open(baseline_path, "w", encoding="utf-8") as f:
            f.write(f"# Tests of suite {args.suite} that passed under vmemu (and natively);\n"
                    f"# written by tests/compat/difftest.py --update-baseline.\n")
            for n in keep:
                f.write(n + "\n")
        print(f"wrote {baseline_path} ({len(keep)} tests)")

    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(f"{summary}.\n\n")
            f.write("| outcome | tests |\n| --- | ---: |\n")
            for label, key in (("run", "tests"), ("pass natively", "native"),
                               ("pass natively and under vmemu", "vmemu"),
                               ("differ (pass natively, not under vmemu)", "DIFF"),
                               ("crash vmemu", "CRASH"), ("hang under vmemu", "HANG"),
                               ("known differences", "known"),
                               ("fail natively", "native-fail"),
                               ("not applicable natively (TCONF)", "conf"),
                               ("skipped (program missing)", "skip")):
                f.write(f"| {label} | {counts[key]} |\n")
            bad = [r for r in results if r.verdict in ("DIFF", "CRASH", "HANG", "known")]
            if bad:
                f.write("\n| test | native | vmemu | verdict | first differing line |\n"
                        "| --- | --- | --- | --- | --- |\n")
                for r in bad:
                    f.write(f"| {md_escape(r.test.name)} | {r.native.outcome if r.native else '-'} "
                            f"| {r.vm.outcome if r.vm else '-'} | {r.verdict} "
                            f"| {md_escape(r.note)[:300]} |\n")
            nf = [r for r in results if r.verdict == "native-fail"]
            if nf:
                f.write("\nFail natively (not counted against vmemu): "
                        + ", ".join(f"{r.test.name}" + (" (passes under vmemu)" if "passes under" in r.note else "")
                                    for r in nf) + ".\n")

    for r in regressions:
        print(f"REGRESSION: {r.test.name} passed under vmemu before (baseline) and now: "
              f"{r.verdict} {r.note}")
    for r in crashes:
        print(f"CRASH: {r.test.name}: {r.note}")
    return 1 if regressions or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
