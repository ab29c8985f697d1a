"""The ``conformance`` command: certify a target, publish the results, and maintain the vendored spec.

conformance run [pytest args...]      the suite (same as pytest with the plugin), e.g. --target-url
conformance graphs DIR [--auth]        write the fixture graphs to DIR for a server to deploy: graphs.py and
                                       langgraph.json (official server), aegra.json (Aegra), js/ (JS server);
                                       --auth: behind the fixture auth (auth.py, js/auth.ts), for the auth area
conformance baseline RESULTS.json [--also RESULTS.json ...] [--output FILE] [--release langgraph-api==X]
                                       an expected-failures file from a certification (a regression gate);
                                       --release: the target's older release, and the operations it lacks
conformance matrix [--reports DIR] [--output FILE] [--check] [--all]
                                       reports/README.md: every implementation's results side by side
conformance spec vendor [--file F [--release langgraph-api==X] | --url U | --version X]
                                       refresh spec/, then print the gate's report against the previous copy
conformance spec check                 the vendored copy is untouched, valid OpenAPI, loads with its errata,
                                       no replace erratum's upstream value moved, no OpenAPI 3.0 keyword left
conformance spec diff OLD NEW [--format text|json|markdown] [--fail-on breaking] [--coverage] [--severity F]
                                       changes between two OpenAPI documents, breaking for clients/servers
conformance spec gate NEW [--old F] [--exchanges F] [--fail-on breaking] [--severity F] [--checks]
                                       what vendoring NEW would do: the contract with errata, a recorded run
                                       replayed, the tests that exercise each change, descriptions to review
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.paths import PACKAGE_DIR, spec_dir


def _run(args: list[str]) -> int:
    import pytest

    return int(pytest.main([str(PACKAGE_DIR / "tests"), *args]))


def _spec(argv: list[str]) -> int:
    from conformance.contract.document import Contract, SpecError, moved_upstream
    from conformance.spectools import gate, vendor
    from conformance.spectools import update as specupdate

    parser = argparse.ArgumentParser(prog="conformance spec")
    sub = parser.add_subparsers(dest="command", required=True)
    vendor_cmd = sub.add_parser("vendor", help="refresh spec/openapi.yaml from upstream")
    vendor_cmd.add_argument("--file", help="a langgraph-api wheel, or an openapi.json/yaml file (with --release)")
    vendor_cmd.add_argument("--release", help="the release a --file document comes from: langgraph-api==X")
    vendor_cmd.add_argument("--url", help="a URL serving the document")
    vendor_cmd.add_argument("--version", help="a langgraph-api release: its wheel's openapi.json")
    vendor_cmd.add_argument("--reference-cache", help="where the reference environment lives")
    sub.add_parser("check", help="verify the vendored copy and its errata")
    specupdate.add_arguments(sub.add_parser("diff", help="changes between two OpenAPI documents"))
    gate.add_arguments(sub.add_parser("gate", help="what vendoring a new document would do to certifications"))
    args = parser.parse_args(argv)
    if args.command == "diff":
        return specupdate.run(args)
    if args.command == "gate":
        return gate.run(args)
    folder = spec_dir()
    if args.command == "vendor":
        before = specupdate.vendored_document(folder)
        try:
            provenance = vendor.vendor(
                folder,
                file=args.file,
                url=args.url,
                reference_cache=args.reference_cache,
                version=args.version,
                release=args.release,
            )
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"vendored {provenance['operations']} operations, sha256 {provenance['vendored_sha256']}")
        print(specupdate.vendor_report(before, specupdate.vendored_document(folder), provenance), end="")
        return 0
    problems = vendor.verify(folder)
    try:
        contract = Contract.load()
        print(
            f"spec {contract.version}: {len(contract.operations)} operations, "
            f"{len(contract.errata)} errata applied cleanly"
        )
        problems += specupdate.validity_problems(contract.upstream, contract.document)
        problems += moved_upstream(contract.upstream, contract.errata)
        problems += [f"OpenAPI 3.0 keyword in the contract: {p}" for p in gate.openapi30_keywords(contract.document)]
    except SpecError as exc:
        problems.append(str(exc))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _matrix(argv: list[str]) -> int:
    """Write reports/README.md; with --check, only report whether the committed one is current (CI)."""
    from conformance.paths import reports_dir
    from conformance.reports import matrix

    parser = argparse.ArgumentParser(prog="conformance matrix")
    parser.add_argument("--reports", type=Path, default=None, help="folder of <implementation>/results.json")
    parser.add_argument("--output", type=Path, default=None, help="where to write (default: REPORTS/README.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is missing or out of date")
    parser.add_argument("--all", action="store_true", help="include results.json files git ignores (local runs)")
    args = parser.parse_args(argv)
    reports = args.reports or reports_dir()
    try:
        output, text = matrix.build(reports, args.output, include_ignored=args.all)
    except matrix.MatrixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output} is out of date: run `conformance matrix`", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output} ({len(matrix.load(reports, include_ignored=args.all))} implementation(s))")
    return 0


def _graphs(argv: list[str]) -> int:
    """Write the fixture graphs and every supported server's configuration, for a server to deploy them."""
    from conformance.graphs import deploy

    parser = argparse.ArgumentParser(
        prog="conformance graphs",
        description="Write what a server needs to be certified: graphs.py and langgraph.json (with the webhook "
        "policy the suite needs) for the official server, aegra.json for Aegra, and js/ (the TypeScript twin) "
        "for the JavaScript server.",
    )
    parser.add_argument("folder", type=Path, help="where to write them (created if need be)")
    parser.add_argument(
        "--auth",
        action="store_true",
        help="also write auth.py (and js/auth.ts, its TypeScript twin), the fixture auth of the auth area (two users "
        "by bearer token, each seeing only their own), and point the configurations' auth key at it; deploy it "
        "beside the plain deployment",
    )
    args = parser.parse_args(argv)
    written = deploy.write(args.folder, js=True, auth=args.auth)
    names = ", ".join(str(path.relative_to(args.folder)) for path in written)
    folder = args.folder
    print(f"wrote the fixture graphs to {folder}/: {names}")
    if args.auth:
        variable = deploy.AUTH_TOKEN_VARIABLE
        tokens = f"{variable}_A=<token A> {variable}_B=<token B>"
        print(f"  official server: cd {folder} && {tokens} langgraph dev --port 2025")
        print(f"  Aegra:           started from {folder} with the same two variables (it reads aegra.json there)")
        print(f"  JS server:       cd {folder}/js && npm ci && {tokens} npx langgraphjs dev --port 2025  (js/auth.ts)")
        print(
            "  then certify:    conformance run --target-url=<the plain deployment> --auth-url=http://127.0.0.1:2025 "
            "--auth-user 'A=Authorization: Bearer <token A>' --auth-user 'B=Authorization: Bearer <token B>'"
        )
        return 0
    print(f"  official server: cd {folder} && langgraph dev --port 2024  (langgraph.json allows loopback webhooks)")
    print(f"  Aegra:           started from {folder} (it reads aegra.json there)")
    print(f"  JS server:       cd {folder}/js && npm ci && npx langgraphjs dev --port 2024")
    return 0


def _baseline(argv: list[str]) -> int:
    """Write an expected-failures file from a results.json (a regression gate for today)."""
    from conformance.reports import baseline

    parser = argparse.ArgumentParser(prog="conformance baseline")
    parser.add_argument("results", type=Path, help="a results.json written by a certification")
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="the results.json of another run of the same target (repeatable): a finding seen in only some of the "
        "runs is listed as not strict (a known deviation the run meets only sometimes)",
    )
    parser.add_argument("--output", type=Path, help="default: expected-failures.yaml beside results.json")
    parser.add_argument(
        "--release",
        help="the release the target is built on (langgraph-api==X, or an OpenAPI file or URL of it): the file "
        "states it and lists the operations the vendored spec added since as unsupported_operations",
    )
    args = parser.parse_args(argv)
    output = args.output or args.results.parent / "expected-failures.yaml"
    release = None
    if args.release:
        from conformance.spectools import update as specupdate
        from conformance.spectools.loading import SpecLoadError

        try:
            added = specupdate.operations_added_since(args.release, spec_dir() / "openapi.yaml")
        except SpecLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        name = args.release.replace("==", " ", 1) if args.release.startswith("langgraph-api==") else args.release
        release = baseline.Release(name, added)
    count = baseline.write(args.results, output, release, also=args.also)
    print(f"wrote {count} expected failure(s) to {output}")
    if release is not None:
        print(f"{release.name} lacks {len(release.added)} operation(s) of the vendored spec: unsupported_operations")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return _run(rest)
    if command == "spec":
        return _spec(rest)
    if command == "matrix":
        return _matrix(rest)
    if command == "baseline":
        return _baseline(rest)
    if command == "graphs":
        return _graphs(rest)
    print(f"conformance: unknown command {command!r}; see conformance --help", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
