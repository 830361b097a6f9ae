"""``mlops-jupyter export mlflow`` and ``mlops-jupyter import mlflow``."""

from __future__ import annotations

import argparse
import sys

from .common import Subcommands, json_flag, print_json, read_store

__all__ = ["register"]


def cmd_export_mlflow(args: argparse.Namespace) -> int:
    """Export runs to MLflow; exit 0 when every run was written or up to date, else 1."""
    from ..interop import export_runs

    store = read_store()

    def progress(done: int, total: int) -> None:
        print(f"exported {done} of {total} runs", file=sys.stderr, flush=True)

    report = export_runs(
        store,
        args.to,
        experiment=args.experiment,
        where=args.filter,
        models=args.models,
        method=args.via,
        artifacts=args.artifacts,
        progress=None if args.json else progress,
    )
    if args.json:
        print_json(report.to_json())
    else:
        print(
            f"{report.target} ({report.method}): {report.created} created, {report.updated} "
            f"updated, {report.unchanged} unchanged, {len(report.skipped)} skipped, "
            f"{len(report.failed)} failed in {report.seconds:.1f} s"
        )
        for item in report.skipped:
            print(f"skipped {item['run_id'][:12]}: {item['reason']}")
        for item in report.failed:
            print(f"FAILED {item['run_id'][:12]}: {item['error']}")
        for note in report.notes:
            print(f"note: {note}")
        if report.models is not None:
            for model in report.models.get("exported", []):
                aliases = ", ".join(f"@{a}→v{v}" for a, v in model["aliases"].items())
                print(
                    f"model {model['name']}: {model['created']} versions created, "
                    f"{model['unchanged']} unchanged {aliases}".rstrip()
                )
            for line in report.models.get("skipped", []):
                print(f"model skipped: {line}")
            for item in report.models.get("failed", []):
                print(f"model FAILED {item['name']}: {item['error']}")
    return 0 if report.ok else 1


def cmd_import_mlflow(args: argparse.Namespace) -> int:
    """Import MLflow runs; exit 0 when no run failed, else 1."""
    from ..interop import import_runs
    from ..store import get_store

    store = get_store()  # an import may create the store

    def progress(count: int) -> None:
        print(f"read {count} runs", file=sys.stderr, flush=True)

    report = import_runs(
        store,
        args.source,
        experiment=args.experiment,
        copy_artifacts=args.copy_artifacts,
        progress=None if args.json else progress,
    )
    if args.json:
        print_json(report.to_json())
    else:
        print(
            f"{report.source}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped, "
            f"{len(report.failed)} failed in {report.seconds:.1f} s"
        )
        for item in report.skipped:
            print(f"skipped {item['run_id']}: {item['reason']}")
        for item in report.failed:
            print(f"FAILED {item['run_id']}: {item['error']}")
    return 0 if report.ok else 1


def register(commands: Subcommands) -> None:
    """Add ``export mlflow`` and ``import mlflow``."""
    export = commands.add_parser("export", help="export runs to another tool")
    export_kinds = export.add_subparsers(dest="export_kind", required=True)
    to_mlflow = export_kinds.add_parser(
        "mlflow",
        help="export runs (and models) to an MLflow tracking server, database or folder",
        description=(
            "Export runs to MLflow: params, metric series (steps and timestamps), tags, start "
            "and end times, status, the cell source and notebook snapshot as artifacts; with "
            "--models, registered model versions and aliases. Exporting again adds nothing "
            "and updates only what changed. Exit status: 0 every run written or up to date, "
            "1 a run or model failed, 2 usage error."
        ),
    )
    to_mlflow.add_argument(
        "--to",
        required=True,
        metavar="URI_OR_DIR",
        help="an MLflow tracking URI (sqlite:///…, http://…, postgresql://…) or a folder "
        "(the mlflow-export-import format, no MLflow needed)",
    )
    which = to_mlflow.add_mutually_exclusive_group()
    which.add_argument("--experiment", metavar="E", help="only this experiment's runs")
    which.add_argument(
        "--filter",
        metavar="QUERY",
        help="only the runs matching a filter (e.g. 'params.lr < 0.1 and status = \"finished\"')",
    )
    to_mlflow.add_argument(
        "--models",
        action="store_true",
        help="also export the registered models these runs produced (versions, aliases, history)",
    )
    to_mlflow.add_argument(
        "--via",
        choices=("auto", "client", "sql"),
        default="auto",
        help="auto: in bulk into SQL stores, MLflow's client otherwise (default); client: "
        "always through MlflowClient; sql: in bulk (SQL URIs only)",
    )
    to_mlflow.add_argument(
        "--artifacts",
        metavar="DIR_OR_URI",
        help="where new MLflow experiments keep artifacts (default: beside a SQLite "
        "database, <db>-artifacts/; the server's own for http://)",
    )
    json_flag(to_mlflow, "the report as JSON")
    to_mlflow.set_defaults(func=cmd_export_mlflow)

    imports = commands.add_parser("import", help="import runs from another tool")
    import_kinds = imports.add_subparsers(dest="import_kind", required=True)
    from_mlflow = import_kinds.add_parser(
        "mlflow",
        help="import runs from an MLflow tracking server, database or export folder",
        description=(
            "Import MLflow runs as runs of this store: params, metric series, tags, times, "
            "status; artifacts referenced by URI (or copied). Runs exported by mlops-jupyter "
            "come back whole. Importing again adds nothing and updates only what changed. "
            "Imported MLflow runs cannot be reproduced: they pinned no notebook. Exit status: "
            "0 no run failed, 1 a run failed, 2 usage error."
        ),
    )
    from_mlflow.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URI_OR_DIR",
        help="an MLflow tracking URI or an mlflow-export-import folder",
    )
    from_mlflow.add_argument("--experiment", metavar="E", help="only this MLflow experiment")
    from_mlflow.add_argument(
        "--copy-artifacts",
        action="store_true",
        help="copy the runs' artifacts into the blob store (default: reference their URI)",
    )
    json_flag(from_mlflow, "the report as JSON")
    from_mlflow.set_defaults(func=cmd_import_mlflow)
