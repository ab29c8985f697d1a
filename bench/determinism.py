"""The same verdict every time: N consecutive default certifications of the embedded reference, compared.

Why: a conformance suite that flakes on a correct server is not trusted. Each run is the README's first
command (the embedded reference, started fresh, every area), with its report in a folder of its own; the
script prints each run's wall time and gate, then every test whose outcome was not the same in all runs.

    python bench/determinism.py [--runs 10] [--workers 0,2] [pytest args...]

``--workers`` lists the ``-n`` values (0: serial); each gets ``--runs`` runs, and all of them, serial and
parallel, are compared with each other. Exit code 0 when every run gave identical outcomes, test by
test, and 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def certify(report: Path, extra: list[str], workers: int = 0) -> tuple[float, dict[str, str], str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--conformance-report={report}"]
    command += ["-n", str(workers)] if workers else ["-p", "no:xdist"]
    started = time.monotonic()
    subprocess.run([*command, *extra], cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return seconds, {t["id"]: t["outcome"] for t in results["tests"]}, results["gate"]["verdict"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="runs per worker setting")
    parser.add_argument("--workers", default="0", help="comma-separated -n values (0: serial)")
    args, extra = parser.parse_known_args(argv)
    work = Path(tempfile.mkdtemp(prefix="conformance-determinism-"))
    runs: list[dict[str, str]] = []
    for workers in [int(w) for w in args.workers.split(",")]:
        mode = f"-n {workers}" if workers else "serial"
        for index in range(args.runs):
            seconds, outcomes, gate = certify(work / f"{mode.replace(' ', '')}-{index + 1}", extra, workers)
            runs.append(outcomes)
            print(f"{mode} run {index + 1}: {seconds:.1f} s, {len(outcomes)} tests, gate {gate}", flush=True)
    tests = sorted(set().union(*runs))
    changed = {t: [run.get(t, "-") for run in runs] for t in tests if len({run.get(t, "-") for run in runs}) > 1}
    for test, outcomes in changed.items():
        print(f"CHANGED {test}: {' / '.join(outcomes)}")
    print(f"{len(tests)} tests, {len(changed)} whose outcome changed over {len(runs)} runs")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
