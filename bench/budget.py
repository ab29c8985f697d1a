"""Benchmark: the default certification of the embedded reference, serial and parallel, against its budget.

Why: a certification is a CI step people wait for; the budget is 60 s wall on two cores from a warm
cache, reference start included. Each run is the README's first command (``pytest``, every area, the
embedded reference started by the suite) with ``-n 0``, ``-n 2`` and ``-n 4``, timed from the process
start to its end; the anchor is a raw ``schemathesis run`` of the same spec against a reference of its
own (what pointing the schemathesis CLI at the server costs, for the same examples per operation). Every
figure comes from this machine, in one invocation, so they compare.

    python bench/budget.py [--workers 0,2,4] [--repeat 5] [--skip-raw] [pytest args...]

Prints the median wall seconds of each setting over ``--repeat`` runs (with every run's figure), tests and
gate, the slowest tests of the first run by area (what dominates), the ratio to the raw anchor, and which
settings meet the budget: a median <= 60 s and, when the anchor ran, <= 0.5x its wall time. Exit code 0
when the fastest setting meets it.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from property_benchmark import run_raw  # noqa: E402

from conformance.targets import reference  # noqa: E402  (the checkout's package, not an installed copy)

BUDGET_SECONDS = 60.0
BUDGET_RATIO = 0.5  # of a raw schemathesis run of the same document, measured in the same invocation


def certify(workers: int, report: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--conformance-report={report}"]
    command += ["-n", str(workers)] if workers else ["-p", "no:xdist"]
    started = time.monotonic()
    done = subprocess.run([*command, *extra], cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    (report / "pytest.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "results": results, "exit": done.returncode}


def dominating(results: dict) -> list[tuple[str, float]]:
    """Test seconds by area, largest first: where the serial run's time goes."""
    by_area: collections.Counter[str] = collections.Counter()
    for test in results["tests"]:
        by_area[test["area"]] += test["duration"]
    return by_area.most_common(6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="0,2,4", help="comma-separated -n values (0: serial)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per setting; the median is judged")
    parser.add_argument("--skip-raw", action="store_true", help="leave out the raw schemathesis anchor")
    args, extra = parser.parse_known_args(argv)
    work = Path(tempfile.mkdtemp(prefix="conformance-budget-"))
    runs: dict[str, list[dict]] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        name = f"-n {workers}" if workers else "serial"
        for attempt in range(max(1, args.repeat)):
            print(f"certifying the embedded reference, {name} (run {attempt + 1}) ...", file=sys.stderr, flush=True)
            folder = work / f"{name.replace(' ', '')}-{attempt + 1}"
            runs.setdefault(name, []).append(certify(workers, folder, extra))
    raw = None
    if not args.skip_raw:
        server = reference.start(log=lambda m: print(f"  {m}", file=sys.stderr))
        try:
            print("raw schemathesis run ...", file=sys.stderr, flush=True)
            raw = run_raw(server.url, argparse.Namespace(max_examples=5, seed=0, raw_args=""), work)
        finally:
            server.stop()
    print(f"\nbudget {BUDGET_SECONDS:g} s wall (median), reference start included; logs in {work}")
    print(f"{'run':<24} {'median s':>8} {'tests':>6}  {'gate':<10} every run (s)")
    medians = {name: statistics.median(r["seconds"] for r in tries) for name, tries in runs.items()}
    for name, tries in runs.items():
        data = tries[0]["results"]
        gates = sorted({t["results"]["gate"]["verdict"] for t in tries})
        every = ", ".join(f"{t['seconds']:.1f}" for t in tries)
        print(f"{'pytest ' + name:<24} {medians[name]:8.1f} {len(data['tests']):>6}  {'/'.join(gates):<10} {every}")
    if raw is not None:
        print(f"{'raw schemathesis run':<24} {raw['seconds']:8.1f} {raw['cases'] or '?':>6}  cases, exit {raw['exit']}")
    first = next(iter(runs.values()))[0]["results"]
    print("test seconds by area (" + next(iter(runs)) + "): " + ", ".join(f"{a} {s:.1f}" for a, s in dominating(first)))
    best_name = min(medians, key=medians.get)
    best = medians[best_name]
    met = best <= BUDGET_SECONDS
    meets = "meets" if met else "misses"
    verdict = f"fastest: pytest {best_name}, median {best:.1f} s: {meets} the {BUDGET_SECONDS:g} s budget"
    if raw is not None and raw["seconds"]:
        ratio = best / raw["seconds"]
        met = met and ratio <= BUDGET_RATIO
        verdict += f"; {ratio:.2f}x the raw run ({'within' if ratio <= BUDGET_RATIO else 'over'} {BUDGET_RATIO:g}x)"
    print(verdict)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
