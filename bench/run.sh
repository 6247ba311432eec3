#!/usr/bin/env python3
# bench/run.sh: the runner of `make bench` (a python3 script; the Makefile
# runs it with $(PYTHON3)). Runs each static guest benchmark natively,
# under `qemu-x86_64 -cpu Haswell` (vmemu's CPU model) and under vmemu,
# alternating the three, BENCH_REPS times (default 3), and reports the
# median wall time of each with the ratios vmemu/native and vmemu/qemu,
# as a text table on stdout and as CSV; then bench/thp under vmemu with
# --thp=never and --thp=always, alternating, as ratios never/always (a
# second CSV, NAME-thp.csv beside the first). Times are taken with
# time.perf_counter() (a monotonic clock) around the whole process.
#
# usage: run.sh --bin-dir DIR --vmemu PATH [--qemu PROG] [--csv FILE]
#               [--reps N] [--only NAME,...]
# The environment's BENCH_REPS and BENCH_ONLY stand for --reps and --only.
# Exit status 1 when a run failed (the table shows FAIL), 0 otherwise.

import argparse
import csv
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# name, description, arguments, vmemu options, process runs per sample
# (a sample's time is the total divided by the runs: per-run start-up).
BENCHMARKS = [
    ("cpu", "CPU-bound integer code (LZ77-style compressor loop)",
     [], [], 1),
    ("randmem", "random access over a 64 MiB working set (2*10^7 accesses)",
     [], [], 1),
    ("pagefault", "page-fault storm: touch 1 GiB of fresh anonymous memory",
     [], ["--mem=2G"], 1),
    ("forkcow", "fork of a 256 MiB process, child writes 10% of the pages",
     [], ["--mem=1G"], 1),
    ("forkexec", "fork + exec + wait of 1000 small static children",
     ["1000"], [], 1),
    ("fileio", "write, sequential read and mmap+touch of a 256 MiB file",
     [], ["--mem=1G"], 1),
    ("fileread", "sequential read(2) of a 256 MiB file, 128 KiB at a time",
     ["read"], ["--mem=1G"], 1),
    ("filemmap", "mmap of a 256 MiB file, one byte of each page read",
     ["mmap"], ["--mem=1G"], 1),
    ("swap", "192 MiB of compressible data (3x guest memory), written, read twice",
     [], ["--mem=64M", "--swap=256M"], 1),
    ("hello", "start-up of a static hello world (per run, 20 runs a sample)",
     [], [], 20),
    ("syscall", "10^6 one-byte write(2)s to /dev/null",
     [], [], 1),
    ("thp", "fault in 256 MiB, then 10^7 random accesses (vmemu with THP)",
     [], ["--mem=1G", "--thp=always"], 1),
]

# The THP comparison: bench/thp under vmemu with each mode, alternating;
# the program prints what it measured, the runner the whole wall time.
THP_MODES = ["never", "always"]
THP_OPTS = ["--mem=1G"]
THP_FIELDS = [("wall_ms", "total wall time (ms)"),
              ("fault_in_ms", "fault-in phase (ms)"),
              ("random_ms", "random-access phase: TLB fills walk the tables (ms)"),
              ("faults", "page faults taken"),
              ("thp_faults", "THP faults"),
              ("vmpte_kb", "page-table pages (VmPTE, kB)")]
# Rows that run another row's program with other arguments.
PROGRAM_OF = {"filemmap": "fileread"}

TIMEOUT = 900


def fmt_time(t):
    if t is None:
        return "FAIL"
    if t < 1.0:
        return "%.1f ms" % (t * 1e3) if t >= 0.01 else "%.2f ms" % (t * 1e3)
    return "%.2f s" % t


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    return "%.2f" % (a / b)


def run_once(argv, runs, env):
    """Wall time of RUNS runs of ARGV divided by RUNS, or None on failure."""
    total = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env,
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            sys.stderr.write("bench: timed out after %d s: %s\n"
                             % (TIMEOUT, " ".join(argv)))
            return None
        total += time.perf_counter() - t0
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace").strip().splitlines()[-3:]
            sys.stderr.write("bench: exit status %d: %s\n%s\n"
                             % (p.returncode, " ".join(argv),
                                "\n".join("  " + line for line in err)))
            return None
    return total / runs


def run_thp(vmemu, prog, mode, env):
    """One run of bench/thp under --thp=MODE: its printed fields and the
    wall time, or None."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run([vmemu] + THP_OPTS + ["--thp=" + mode, prog],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write("bench: thp --thp=%s: exit status %d\n"
                         % (mode, p.returncode))
        return None
    words = p.stdout.decode(errors="replace").split()
    fields = dict(zip(words[0::2], words[1::2]))
    out = {"wall_ms": wall * 1e3}
    for k, _ in THP_FIELDS[1:]:
        try:
            out[k] = float(fields[k])
        except (KeyError, ValueError):
            return None
    return out


def thp_comparison(vmemu, bin_dir, reps, env, csv_path):
    """Medians of each field per mode, and never/always ratios, printed
    (and written to csv_path). True when every run worked."""
    prog = os.path.join(bin_dir, "thp")
    samples = {m: [] for m in THP_MODES}
    for _ in range(reps):
        for m in THP_MODES:
            samples[m].append(run_thp(vmemu, prog, m, env))
    if any(r is None for m in THP_MODES for r in samples[m]):
        print("THP comparison: FAIL")
        return False
    med = {m: {k: statistics.median(r[k] for r in samples[m])
               for k, _ in THP_FIELDS} for m in THP_MODES}
    print()
    print("THP: bench/thp under vmemu %s, --thp=never against --thp=always "
          "(medians of %d)" % (" ".join(THP_OPTS), reps))
    rows = [["measure", "never", "always", "never/always"]]
    for k, desc in THP_FIELDS:
        n, a = med["never"][k], med["always"][k]
        rows.append([desc, "%.1f" % n if k.endswith("ms") else "%d" % n,
                     "%.1f" % a if k.endswith("ms") else "%d" % a,
                     "%.2f" % (n / a) if a > 0 else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                        for i, c in enumerate(r)))
    if csv_path:
        with open(csv_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["measure", "never", "always", "never_over_always"])
            for k, _ in THP_FIELDS:
                n, a = med["never"][k], med["always"][k]
                w.writerow([k, "%.3f" % n, "%.3f" % a,
                            "%.3f" % (n / a) if a > 0 else ""])
        print("CSV: %s" % csv_path)
    return True


def unwrap_libtool(path):
    """The real program behind a libtool wrapper script, and the
    LD_LIBRARY_PATH it needs, so start-up times exclude the wrapper's
    shell; (PATH, None) for a real program."""
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return path, None
    if not head.startswith(b"#!") or b"libtool" not in head:
        return path, None
    libs = os.path.join(os.path.dirname(path), ".libs")
    for name in ("lt-" + os.path.basename(path), os.path.basename(path)):
        real = os.path.join(libs, name)
        if os.access(real, os.X_OK) and not open(real, "rb").read(2) == b"#!":
            return real, libs
    return path, None


def median(samples):
    if not samples or any(s is None for s in samples):
        return None
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser(description="vmemu benchmarks")
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--vmemu", required=True)
    ap.add_argument("--qemu", default="qemu-x86_64")
    ap.add_argument("--csv", default=None)
    ap.add_argument("--reps", type=int,
                    default=int(os.environ.get("BENCH_REPS") or 3))
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY") or "")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")

    bin_dir = os.path.abspath(args.bin_dir)
    vmemu = os.path.abspath(args.vmemu)
    qemu = shutil.which(args.qemu) if args.qemu else None
    only = [n for n in args.only.split(",") if n]
    benches = [b for b in BENCHMARKS if not only or b[0] in only]
    if only and len(benches) != len(only):
        ap.error("unknown benchmark in --only; known: "
                 + ",".join(b[0] for b in BENCHMARKS))

    tmp = tempfile.mkdtemp(prefix="vmemu-bench.")
    env = dict(os.environ, TMPDIR=tmp)
    env.pop("VMEMU_DETERMINISTIC", None)
    vmemu, libs = unwrap_libtool(vmemu)
    venv = env
    if libs:
        venv = dict(env, LD_LIBRARY_PATH=libs + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else ""))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("vmemu benchmarks, %s, %d CPUs, load average %.2f at start"
          % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
             os.cpu_count() or 0, load))
    print("vmemu: %s" % vmemu)
    print("median wall time of %d run(s) each, native / qemu / vmemu "
          "alternating" % args.reps)
    if qemu is None:
        print("note: %s not found; the qemu column is skipped"
              % (args.qemu or "qemu-x86_64"))
    sys.stdout.flush()

    rows = []
    failed = False
    try:
        for name, desc, bargs, vopts, runs in benches:
            prog = os.path.join(bin_dir, PROGRAM_OF.get(name, name))
            cmds = [("native", [prog] + bargs, env)]
            if qemu:
                cmds.append(("qemu", [qemu, "-cpu", "Haswell", prog] + bargs,
                             env))
            cmds.append(("vmemu", [vmemu] + vopts + [prog] + bargs, venv))
            samples = {k: [] for k, _, _ in cmds}
            for _ in range(args.reps):
                for k, argv, e in cmds:
                    samples[k].append(run_once(argv, runs, e))
            med = {k: median(v) for k, v in samples.items()}
            for k, v in samples.items():
                if any(s is None for s in v):
                    failed = True
            rows.append((name, desc, " ".join(vopts), runs, med))
            sys.stderr.write("bench: %-9s %s\n" % (name, "  ".join(
                "%s %s" % (k, fmt_time(med[k])) for k in med)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    header = ["benchmark", "native", "qemu", "vmemu", "vmemu/native",
              "vmemu/qemu", "vmemu options"]
    table = []
    for name, desc, vopts, runs, med in rows:
        q = med.get("qemu")
        table.append([name, fmt_time(med["native"]),
                      fmt_time(q) if qemu else "-", fmt_time(med["vmemu"]),
                      fmt_ratio(med["vmemu"], med["native"]),
                      fmt_ratio(med["vmemu"], q) if qemu else "-",
                      vopts or "-"])
    widths = [max(len(r[i]) for r in [header] + table)
              for i in range(len(header))]
    print()
    for r in [header] + table:
        print("  ".join(c.ljust(widths[i]) if i in (0, 6) else
                        c.rjust(widths[i]) for i, c in enumerate(r)).rstrip())
    print()
    for name, desc, vopts, runs, med in rows:
        print("  %-9s %s" % (name, desc))
    if qemu and any(r[0] == "forkexec" for r in rows):
        print("note: qemu-user hands execve to the host kernel, so under "
              "qemu the forkexec children run natively\n"
              "      (unless binfmt_misc routes x86-64 programs to qemu).")

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["benchmark", "description", "vmemu_options",
                        "runs_per_sample", "reps", "native_s", "qemu_s",
                        "vmemu_s", "vmemu_over_native", "vmemu_over_qemu"])
            for name, desc, vopts, runs, med in rows:
                def num(x):
                    return "" if x is None else "%.6f" % x
                q = med.get("qemu")
                rn = fmt_ratio(med["vmemu"], med["native"])
                rq = fmt_ratio(med["vmemu"], q)
                w.writerow([name, desc, vopts, runs, args.reps,
                            num(med["native"]), num(q), num(med["vmemu"]),
                            "" if rn == "-" else rn,
                            "" if rq == "-" else rq])
        print("CSV: %s" % args.csv)
    if any(r[0] == "thp" for r in rows):
        thp_csv = None
        if args.csv:
            root, ext = os.path.splitext(args.csv)
            thp_csv = root + "-thp" + (ext or ".csv")
        if not thp_comparison(vmemu, bin_dir, args.reps, venv, thp_csv):
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
