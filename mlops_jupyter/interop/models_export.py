"""Registered models to MLflow's model registry: versions, aliases, and their history.

Each of our versions whose producing run was exported becomes an MLflow model version of
the same model: its files are uploaded among that run's artifacts
(``models/<name>/v<version>/``) and are the version's source; our version number, manifest
and flavor are version tags (MLflow numbers versions itself, so a model that already had
versions there keeps its numbers and ours are mapped by tag). Aliases point at the mapped
versions. The registry's event log (who moved which alias when, and why) is a JSON artifact
beside the version files (``history.json``) and a registered model tag, with one tag per
alias naming its last move. Exporting again creates nothing that exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["VERSION_TAG", "export_models"]

#: Our version number, on an MLflow model version.
VERSION_TAG = "mlops_jupyter.version"
_HISTORY_SHA_TAG = "mlops_jupyter.history_sha256"
#: Characters of model history kept in a registered model's tag.
MAX_HISTORY_TAG = 90_000


def export_models(
    client: Any, store: RunStore, selected: set[str], known: dict[str, str]
) -> dict[str, Any]:
    """Export the models with a version produced by one of the ``selected`` runs.

    Args:
        client: An ``MlflowClient`` on the target.
        store: Our store.
        selected: Our ids of the runs exported.
        known: Our run id -> MLflow run id, for every run at the target.

    Returns:
        ``{"exported": [{"name", "created", "unchanged", "aliases"}], "skipped": [...],
        "failed": [{"name", "error"}]}``.
    """
    from ..registry import Registry

    registry = Registry(store)
    result: dict[str, Any] = {"exported": [], "skipped": [], "failed": []}
    for model in store.lifecycle.list_models():
        versions = [v for v in store.lifecycle.list_versions(model.name) if v.run_id in selected]
        if not versions:
            continue
        try:
            result["exported"].append(
                _export_model(client, store, registry, model, versions, known, result)
            )
        except Exception as exc:  # one model must not stop the others
            result["failed"].append({"name": model.name, "error": f"{type(exc).__name__}: {exc}"})
    return result


def _export_model(
    client: Any,
    store: RunStore,
    registry: Any,
    model: Any,
    versions: list[Any],
    known: dict[str, str],
    result: dict[str, Any],
) -> dict[str, Any]:
    from mlflow.exceptions import MlflowException

    name = model.name
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(
            name,
            tags={**model.tags, "mlops_jupyter.model": "true"},
            description=model.description or None,
        )
    mapped: dict[int, str] = {}
    for mv in client.search_model_versions(f"name='{_quote(name)}'"):
        ours = (mv.tags or {}).get(VERSION_TAG)
        if ours and ours.isdigit():
            mapped[int(ours)] = str(mv.version)
    events = [e.to_json() for e in registry.history(name)]
    history = json.dumps(events, ensure_ascii=False, indent=1)
    created = unchanged = 0
    for version in versions:
        if version.version in mapped:
            unchanged += 1
            continue
        mlflow_run = known.get(str(version.run_id))
        if mlflow_run is None:
            result["skipped"].append(f"{version.ref}: its run was not exported")
            continue
        mapped[version.version] = _create_version(
            client, store, registry, version, mlflow_run, history
        )
        created += 1
    aliases = {}
    for alias, number in store.lifecycle.aliases(name).items():
        target = mapped.get(number)
        if target is None:
            result["skipped"].append(f"{name}@{alias}: version {number} was not exported")
            continue
        aliases[alias] = int(target)
        try:
            current = client.get_model_version_by_alias(name, alias).version
        except MlflowException:
            current = None
        if str(current) != target:
            client.set_registered_model_alias(name, alias, target)
    _tag_history(client, name, events, history)
    return {"name": name, "created": created, "unchanged": unchanged, "aliases": aliases}


def _create_version(
    client: Any, store: RunStore, registry: Any, version: Any, mlflow_run: str, history: str
) -> str:
    from ..registry.artifacts import version_path

    manifest = registry.manifest(version)
    folder_name = f"models/{version.model}/v{version.version}"
    with tempfile.TemporaryDirectory(prefix="mlops-mlflow-model-") as folder:
        root = os.path.realpath(folder)
        for item in manifest.files:
            relative = version_path(item.path)  # refuses absolute paths and ".."
            target = os.path.realpath(os.path.join(root, relative))
            if not target.startswith(root + os.sep):
                raise ValueError(f"model file path {item.path!r} leaves its folder")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with store.blobs.open(item.sha256) as source, open(target, "wb") as handle:
                while chunk := source.read(1 << 20):
                    handle.write(chunk)
        with open(os.path.join(root, "history.json"), "w", encoding="utf-8") as handle:
            handle.write(history)
        client.log_artifacts(mlflow_run, root, artifact_path=folder_name)
    source = client.get_run(mlflow_run).info.artifact_uri.rstrip("/") + "/" + folder_name
    tags = {
        **{k: str(v) for k, v in version.tags.items()},
        VERSION_TAG: str(version.version),
        "mlops_jupyter.manifest_sha256": version.manifest_sha256,
        "mlops_jupyter.flavor": version.flavor,
        "mlops_jupyter.created_by": version.created_by,
    }
    created = client.create_model_version(
        version.model,
        source,
        run_id=mlflow_run,
        tags=tags,
        description=version.description or None,
    )
    return str(created.version)


def _tag_history(client: Any, name: str, events: list[dict[str, Any]], history: str) -> None:
    digest = hashlib.sha256(history.encode("utf-8")).hexdigest()
    model = client.get_registered_model(name)
    if (model.tags or {}).get(_HISTORY_SHA_TAG) == digest:
        return
    client.set_registered_model_tag(name, "mlops_jupyter.history", history_tag(events))
    client.set_registered_model_tag(name, _HISTORY_SHA_TAG, digest)
    last_move: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.get("alias"):
            last_move[str(event["alias"])] = event
    for alias, event in last_move.items():
        text = (
            f"{event.get('kind')} to v{event.get('to_version')} by {event.get('actor')} at "
            f"{event.get('at')}: {event.get('reason') or ''}"
        )
        client.set_registered_model_tag(name, f"mlops_jupyter.alias.{alias}", text[:5000])


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


def history_tag(events: list[dict[str, Any]]) -> str:
    """A model's events as a registered model tag: the newest that fit, as JSON."""
    compact = [
        {
            k: e.get(k)
            for k in ("seq", "at", "actor", "kind", "alias", "from_version", "to_version", "reason")
        }
        for e in events
    ]
    while compact:
        text = json.dumps(compact, ensure_ascii=False)
        if len(text) <= MAX_HISTORY_TAG:
            return text
        compact = compact[len(compact) // 4 + 1 :]
    return "[]"
