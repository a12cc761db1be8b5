"""benchlib.py - what the bench/*/run scripts share: building ar with the
bench programs, timing child processes, medians, and the one result line
bench/run collects.

A benchmark prints whatever it likes for a person, plus one line per
figure that bench/run turns into its table:

    RESULT<TAB>benchmark<TAB>figure<TAB>target<TAB>ok|MISSED|-

Benchmarks measure; they never fail because the machine is slow.  Their
exit status is 0 when they ran (whatever the figures), 1 when they could
not run at all.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_dir():
    """The bench build directory: $AR_BENCH_BUILD or <repo>/build-bench."""
    return os.environ.get("AR_BENCH_BUILD") or os.path.join(ROOT, "build-bench")


def build():
    """Configure and build ar and the bench programs (-DAR_BENCH=ON,
    optimised, no tests) unless $AR_BENCH_NO_BUILD is set; returns the build
    directory."""
    d = build_dir()
    if os.environ.get("AR_BENCH_NO_BUILD"):
        return d
    jobs = str(os.cpu_count() or 2)
    subprocess.run(["cmake", "-S", ROOT, "-B", d, "-DAR_BENCH=ON",
                    "-DAR_TESTS=OFF", "-DAR_WERROR=OFF", "-DAR_SANITIZE=OFF",
                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", d, "-j", jobs], check=True,
                   stdout=subprocess.DEVNULL)
    return d


def run_timed(argv, cwd=None, stdout=subprocess.DEVNULL, env=None,
              check=True):
    """Run argv; returns (seconds, rusage of the child and its waited-for
    descendants, exit status, stdout text when stdout=subprocess.PIPE).
    ru_maxrss is not the child's own figure (Linux keeps the forking
    parent's high-water mark across exec): read VmHWM inside the child."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, stdout=stdout,
                         stderr=subprocess.PIPE if check else subprocess.DEVNULL,
                         env=env)
    err = b""
    out = p.stdout.read().decode() if stdout == subprocess.PIPE else None
    if check:
        err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise RuntimeError("%s exited %d" % (" ".join(argv), p.returncode))
    return dt, ru, p.returncode, out


def median(xs):
    return statistics.median(xs)


def ms(x):
    return "%.1f ms" % (x * 1e3)


def result(bench, figure, target, ok):
    """One line for bench/run's table; ok is True, False or None (no target)."""
    mark = "-" if ok is None else ("ok" if ok else "MISSED")
    print("RESULT\t%s\t%s\t%s\t%s" % (bench, figure, target, mark), flush=True)


def need(*programs):
    """Exit 1 with a message when a program is missing."""
    for p in programs:
        if not shutil.which(p):
            sys.exit("bench: %s is required but not installed" % p)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine():
    return "%s, %d CPUs" % (cpu_model(), os.cpu_count() or 0)


def self_maxrss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
