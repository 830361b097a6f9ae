"""The mlflow-export-import folder format, written without MLflow.

The layout its ``import-experiments`` reads (export file version 2)::

    DIR/experiments.json                      {"system", "info", "mlflow": {"experiments": [...]}}
    DIR/<experiment id>/experiment.json       {"system", "info", "mlflow": {"experiment", "runs"}}
    DIR/<experiment id>/runs/<run id>/run.json
    DIR/<experiment id>/runs/<run id>/artifacts/...
    DIR/models/models.json, DIR/models/<name>/model.json       (with --models)

Experiment ids are derived from the experiment's name (stable across exports), run ids are
ours. A run whose ``run.json`` carries the same fingerprint is left alone. Every file is
written atomically; every path is built from validated parts and checked to stay in DIR.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import shutil
import time
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ..version import __version__
from .mlflow_format import FINGERPRINT_TAG, ArtifactFile, MlflowRunData
from .sink import Existing, ExportReport, stage_artifacts

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["DirSink", "experiment_folder_id", "read_json", "write_json"]

EXPORT_FILE_VERSION = "2"


def experiment_folder_id(name: str) -> str:
    """A stable id for an experiment folder: digits, from the name's hash."""
    return str(int(hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12], 16))


def _system(script: str) -> dict[str, Any]:
    now = round(time.time())
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        user = ""
    return {
        "package_version": f"mlops-jupyter {__version__}",
        "script": script,
        "export_file_version": EXPORT_FILE_VERSION,
        "export_time": now,
        "_export_time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)),
        "mlflow_version": None,
        "mlflow_tracking_uri": None,
        "platform": {
            "python_version": platform.python_version(),
            "system": platform.system(),
            "processor": platform.processor(),
        },
        "user": user,
    }


def write_json(path: str, content: Any) -> None:
    """Write JSON atomically (NaN and infinities as JSON's usual extensions, as
    mlflow-export-import writes them)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_json(path: str) -> Any:
    """Read a JSON file of the format (None if it is missing or not JSON)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _fmt(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(round(ms / 1000)))


class DirSink:
    """Runs written as mlflow-export-import folders under ``root``.

    Args:
        root: The folder (created if missing).
    """

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(os.path.expanduser(root))
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise InvalidArgumentError(f"{root} is not a folder")
        os.makedirs(self.root, exist_ok=True)
        self.description = self.root
        self._names: dict[str, str] = {}
        self._folders: dict[str, str] = {}

    def _inside(self, *parts: str) -> str:
        path = os.path.realpath(os.path.join(self.root, *parts))
        if not path.startswith(self.root + os.sep):
            raise InvalidArgumentError(f"{os.path.join(*parts)!r} leaves {self.root}")
        return path

    def experiment(self, name: str) -> str:
        """The experiment's folder id (its folder is created)."""
        experiment_id = experiment_folder_id(name)
        os.makedirs(self._inside(experiment_id, "runs"), exist_ok=True)
        self._names[experiment_id] = name
        return experiment_id

    def existing(self, experiment_id: str, run_ids: list[str]) -> dict[str, Existing]:
        """The runs already written (their fingerprint read from ``run.json``)."""
        found = {}
        for run_id in run_ids:
            document = read_json(self._inside(experiment_id, "runs", run_id, "run.json"))
            if isinstance(document, dict):
                tags = (document.get("mlflow") or {}).get("tags") or {}
                found[run_id] = Existing(run_id, str(tags.get(FINGERPRINT_TAG) or ""))
        return found

    def create(self, experiment_id: str, runs: list[MlflowRunData], store: RunStore) -> list[str]:
        """Write each run's folder."""
        for data in runs:
            self._write(experiment_id, data, store)
        return [data.run_id for data in runs]

    def update(
        self, existing: Existing, data: MlflowRunData, store: RunStore, report: ExportReport
    ) -> None:
        """Rewrite the run's folder."""
        experiment_id = experiment_folder_id(data.experiment)
        shutil.rmtree(self._inside(experiment_id, "runs", data.run_id, "artifacts"), True)
        self._write(experiment_id, data, store)

    def _write(self, experiment_id: str, data: MlflowRunData, store: RunStore) -> None:
        folder = self._inside(experiment_id, "runs", data.run_id)
        os.makedirs(folder, exist_ok=True)
        self._folders[data.run_id] = folder
        if data.artifacts:
            stage_artifacts(data.artifacts, store, os.path.join(folder, "artifacts"))
        info = {
            "run_uuid": data.run_id,
            "run_id": data.run_id,
            "run_name": data.name,
            "experiment_id": experiment_id,
            "user_id": "",
            "status": data.status,
            "start_time": data.start_time,
            "end_time": data.end_time,
            "lifecycle_stage": "active",
            "artifact_uri": "",
            "_start_time": _fmt(data.start_time),
            "_end_time": _fmt(data.end_time),
        }
        tags = dict(data.tags)
        tags["mlflow.runName"] = data.name
        mlflow = {
            "info": info,
            "params": dict(data.params),
            "metrics": {
                key: [{"value": v, "timestamp": ts, "step": step} for v, ts, step in series]
                for key, series in data.metrics.items()
            },
            "tags": dict(sorted(tags.items())),
            "inputs": {"dataset_inputs": []},
        }
        document = {"system": _system("mlops-jupyter export mlflow"), "mlflow": mlflow}
        write_json(os.path.join(folder, "run.json"), document)

    def close(self) -> None:
        """Write ``experiment.json`` of each experiment written and ``experiments.json``."""
        summaries: list[dict[str, Any]] = []
        for entry in sorted(os.listdir(self.root)):
            runs_folder = os.path.join(self.root, entry, "runs")
            if not entry.isdigit() or not os.path.isdir(runs_folder):
                continue
            path = os.path.join(self.root, entry, "experiment.json")
            previous = read_json(path)
            name = self._names.get(entry) or (
                ((previous or {}).get("mlflow") or {}).get("experiment", {}).get("name")
            )
            if not isinstance(name, str):
                continue
            run_ids = sorted(
                r
                for r in os.listdir(runs_folder)
                if os.path.isfile(os.path.join(runs_folder, r, "run.json"))
            )
            experiment = {
                "experiment_id": entry,
                "name": name,
                "artifact_location": "",
                "lifecycle_stage": "active",
                "tags": {"mlops_jupyter.experiment": name},
                "creation_time": None,
                "last_update_time": None,
            }
            info = {
                "num_total_runs": len(run_ids),
                "num_ok_runs": len(run_ids),
                "num_failed_runs": 0,
                "failed_runs": [],
            }
            write_json(
                path,
                {
                    "system": _system("mlops-jupyter export mlflow"),
                    "info": info,
                    "mlflow": {"experiment": experiment, "runs": run_ids},
                },
            )
            summaries.append({"id": entry, "name": name, "ok_runs": len(run_ids), "failed_runs": 0})
        total = sum(int(s["ok_runs"]) for s in summaries)
        listing = {
            "experiment_names": [s["name"] for s in summaries],
            "status": {
                "experiments": len(summaries),
                "total_runs": total,
                "ok_runs": total,
                "failed_runs": 0,
            },
        }
        write_json(
            os.path.join(self.root, "experiments.json"),
            {
                "system": _system("mlops-jupyter export mlflow"),
                "info": listing,
                "mlflow": {"experiments": summaries},
            },
        )

    def export_models(
        self, store: RunStore, selected: set[str], known: dict[str, str]
    ) -> dict[str, Any]:
        """Write ``models/<name>/model.json`` and each version's files into its run's
        ``artifacts/models/<name>/v<version>/``."""
        from ..registry import Registry
        from ..registry.artifacts import version_path

        registry = Registry(store)
        result: dict[str, Any] = {"exported": [], "skipped": [], "failed": []}
        names = []
        for model in store.lifecycle.list_models():
            versions = [
                v for v in store.lifecycle.list_versions(model.name) if v.run_id in selected
            ]
            if not versions:
                continue
            aliases = store.lifecycle.aliases(model.name)
            entries = []
            for version in versions:
                folder = self._folders.get(str(version.run_id))
                if folder is None:
                    experiment = store.get_run(str(version.run_id)).experiment
                    folder = self._inside(
                        experiment_folder_id(experiment), "runs", str(version.run_id)
                    )
                relative = f"models/{model.name}/v{version.version}"
                target = os.path.join(folder, "artifacts", *relative.split("/"))
                files = [
                    ArtifactFile(version_path(item.path), sha256=item.sha256)
                    for item in registry.manifest(version).files
                ]
                stage_artifacts(files, store, target)
                entries.append(
                    {
                        "name": model.name,
                        "version": str(version.version),
                        "run_id": version.run_id,
                        "source": os.path.relpath(target, self.root),
                        "description": version.description,
                        "tags": {**version.tags, "mlops_jupyter.version": str(version.version)},
                        "status": "READY",
                        "aliases": sorted(a for a, v in aliases.items() if v == version.version),
                    }
                )
            model_folder = self._inside("models", model.name)
            os.makedirs(model_folder, exist_ok=True)
            history = [e.to_json() for e in registry.history(model.name)]
            write_json(os.path.join(model_folder, "history.json"), history)
            registered = {
                "name": model.name,
                "description": model.description,
                "tags": dict(model.tags),
                "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(aliases.items())],
                "versions": entries,
            }
            write_json(
                os.path.join(model_folder, "model.json"),
                {
                    "system": _system("mlops-jupyter export mlflow --models"),
                    "info": {"num_src_versions": len(entries), "failed_versions": []},
                    "mlflow": {"registered_model": registered},
                },
            )
            names.append(model.name)
            result["exported"].append(
                {"name": model.name, "created": len(entries), "unchanged": 0, "aliases": aliases}
            )
        if names:
            write_json(
                self._inside("models", "models.json"),
                {
                    "system": _system("mlops-jupyter export mlflow --models"),
                    "info": {"num_models": len(names)},
                    "mlflow": {"models": names},
                },
            )
        return result
