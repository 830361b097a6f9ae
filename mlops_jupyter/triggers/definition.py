"""A trigger's definition, checked when it is created (a bad condition fails then, not at
3 a.m.), and the definitions' state derived from the lifecycle log.

Conditions (``--when``):

* a metric filter in the run list's language, on the latest finished run of an experiment or
  of a model alias's evaluations (or the mean of the last ``window``):
  ``metrics.accuracy < 0.9``, ``metrics.auc < 0.8 or metrics.loss > 0.5``;
* ``drift`` (a recorded drift check against the model says ``drift``) or ``drift:COLUMN``
  (that column drifted);
* ``new-data:PATH`` (the file's or folder's content digest changed);
* ``every 6h`` (also ``30m``, ``1d``; at least a minute): once per period.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InvalidArgumentError, NotFoundError
from ..query import fields_of, parse_filter
from ..store.lifecycle import Event

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["DEFINITION_KINDS", "Trigger", "current_triggers", "parse_period", "validate"]

#: The events that define, enable, disable and remove triggers.
DEFINITION_KINDS = ("trigger_defined", "trigger_enabled", "trigger_disabled", "trigger_removed")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PERIOD_RE = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hour|hours|d|day|days)", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400}  # fmt: skip


@dataclass(frozen=True)
class Trigger:
    """A trigger.

    Attributes:
        name: Its name.
        when: The condition, as typed.
        kind: ``metric``, ``drift``, ``data`` or ``schedule``.
        experiment: The experiment whose runs a metric condition reads.
        model: ``NAME@ALIAS`` whose evaluations (metric) or drift checks (drift) it reads.
        window: A metric condition reads the mean of this many latest runs.
        retrain: What runs: a run id (its pinned notebook) or ``NAME@ALIAS`` (the producing
            run of that version).
        params: Parameters injected into the retrain (over the run's own).
        register: The model the retrain's result is registered into (None: not registered).
        against: The alias the new version is gated against (and approval asked for).
        rules: The gate's rules (empty: the policy's).
        cooldown: Seconds after a firing during which it does not fire again.
        executor: ``local`` or ``dask://HOST:PORT``.
        promote: Promote when the policy allows it without approval (never past one).
        enabled: Whether it is evaluated.
        webhook: A URL every firing's outcome is POSTed to (signed), or None.
        webhook_secret_env: The environment variable holding the HMAC secret.
        baseline: What a ``new-data`` condition saw at creation (the content digest), or the
            log position a ``drift`` condition starts after.
    """

    name: str
    when: str
    kind: str
    retrain: str
    experiment: str | None = None
    model: str | None = None
    window: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    register: str | None = None
    against: str = "champion"
    rules: tuple[str, ...] = ()
    cooldown: float = 3600.0
    executor: str = "local"
    promote: bool = False
    enabled: bool = True
    webhook: str | None = None
    webhook_secret_env: str | None = None
    baseline: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As defined in the log and shown by ``triggers show --json``."""
        return {
            "name": self.name,
            "when": self.when,
            "kind": self.kind,
            "experiment": self.experiment,
            "model": self.model,
            "window": self.window,
            "retrain": self.retrain,
            "params": dict(self.params),
            "register": self.register,
            "against": self.against,
            "rules": list(self.rules),
            "cooldown": self.cooldown,
            "executor": self.executor,
            "promote": self.promote,
            "enabled": self.enabled,
            "webhook": self.webhook,
            "webhook_secret_env": self.webhook_secret_env,
            "baseline": self.baseline,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Trigger:
        """A definition back from the log."""
        return cls(
            name=str(data["name"]),
            when=str(data["when"]),
            kind=str(data["kind"]),
            retrain=str(data["retrain"]),
            experiment=data.get("experiment"),
            model=data.get("model"),
            window=int(data.get("window") or 1),
            params=dict(data.get("params") or {}),
            register=data.get("register"),
            against=str(data.get("against") or "champion"),
            rules=tuple(data.get("rules") or ()),
            cooldown=float(data.get("cooldown", 3600.0)),
            executor=str(data.get("executor") or "local"),
            promote=bool(data.get("promote", False)),
            enabled=bool(data.get("enabled", True)),
            webhook=data.get("webhook"),
            webhook_secret_env=data.get("webhook_secret_env"),
            baseline=data.get("baseline"),
        )

    @property
    def period(self) -> float | None:
        """A schedule's period in seconds."""
        return parse_period(self.when) if self.kind == "schedule" else None

    @property
    def watched(self) -> str | None:
        """A ``new-data`` condition's path."""
        return self.when.split(":", 1)[1].strip() if self.kind == "data" else None

    @property
    def drift_column(self) -> str | None:
        """``drift:COLUMN``'s column."""
        if self.kind != "drift" or ":" not in self.when:
            return None
        return self.when.split(":", 1)[1].strip() or None


def parse_period(when: str) -> float:
    """``every 6h`` -> 21600.0.

    Raises:
        InvalidArgumentError: If it is not a period of at least a minute.
    """
    match = _PERIOD_RE.fullmatch(when.strip())
    if match is None:
        raise InvalidArgumentError(
            f"invalid schedule {when!r:.60}: every N[s|m|h|d], e.g. every 6h"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < 60:
        raise InvalidArgumentError("a schedule runs at most once a minute")
    return seconds


def _kind(when: str) -> str:
    text = when.strip().lower()
    if text == "drift" or text.startswith("drift:"):
        return "drift"
    if text.startswith("new-data:"):
        return "data"
    if text.startswith("every "):
        return "schedule"
    return "metric"


def _check_metric(when: str) -> None:
    node = parse_filter(when)  # QuerySyntaxError (a 400) says where
    if node is None:
        raise InvalidArgumentError("the condition is empty")
    bad = [f for f in fields_of(node) if f.kind not in ("metrics", "params")]
    if bad:
        names = ", ".join(f"{f.kind}.{f.name}" if f.kind != "column" else f.name for f in bad)
        raise InvalidArgumentError(
            f"a trigger's condition reads metrics and params of runs, not {names}"
        )
    if not any(f.kind == "metrics" for f in fields_of(node)):
        raise InvalidArgumentError("the condition names no metric (e.g. metrics.accuracy < 0.9)")


def _condition(
    registry: Registry, trigger: Trigger, kind: str, cwd: str | None
) -> tuple[str, str | None]:
    """The condition checked, and its baseline: ``(when, baseline)``."""
    if kind == "metric":
        _check_metric(trigger.when)
        if (trigger.experiment is None) == (trigger.model is None):
            raise InvalidArgumentError(
                "a metric condition reads --experiment E or --model NAME@ALIAS"
            )
    elif kind == "drift":
        if trigger.model is None:
            raise InvalidArgumentError("a drift condition watches the checks of --model NAME@ALIAS")
        return trigger.when.strip(), str(registry.log.event_head()[0])
    elif kind == "schedule":
        import time

        # The first firing is at the next period's start, not at creation.
        return trigger.when.strip(), str(int(time.time() // parse_period(trigger.when)))
    elif kind == "data":
        path = trigger.when.split(":", 1)[1].strip()
        if not path:
            raise InvalidArgumentError("new-data: names a file or folder (new-data:data/train.csv)")
        path = os.path.abspath(os.path.join(cwd or os.getcwd(), os.path.expanduser(path)))
        return f"new-data:{path}", content_digest(path)
    return trigger.when.strip(), trigger.baseline


def _check_options(trigger: Trigger) -> None:
    from ..capture.source import validate_param_name
    from ..redaction import url_secrets
    from ..sweep import validate_executor

    for name in trigger.params:
        try:
            validate_param_name(name)
        except ValueError as exc:
            raise InvalidArgumentError(f"--param {name!r:.40}: {exc}") from None
    if trigger.window < 1 or trigger.window > 100:
        raise InvalidArgumentError("--window is 1 to 100 runs")
    if not 0 <= trigger.cooldown <= 365 * 86400:
        raise InvalidArgumentError("--cooldown is 0 to a year, in seconds")
    validate_executor(trigger.executor)
    if trigger.rules:
        from ..registry import parse_rules

        parse_rules(list(trigger.rules))
    if trigger.webhook is None:
        return
    if not re.match(r"https?://[^\s/]+", trigger.webhook):
        raise InvalidArgumentError("the webhook is an http(s) URL")
    if url_secrets(trigger.webhook):
        raise InvalidArgumentError(
            "the webhook URL holds a secret: give the signing secret in an environment "
            "variable (--webhook-secret-env NAME), never in the URL"
        )
    env = trigger.webhook_secret_env
    if env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
        raise InvalidArgumentError("--webhook-secret-env names an environment variable")


def validate(registry: Registry, trigger: Trigger, *, cwd: str | None = None) -> Trigger:
    """Check a new trigger; returns it completed (kind, defaults, baseline).

    Raises:
        InvalidArgumentError: A bad name, condition, parameter, webhook or executor.
        NotFoundError: An unknown run, model or alias.
    """
    from ..registry import parse_ref
    from ..store.lifecycle import check_alias

    if not _NAME_RE.fullmatch(trigger.name):
        raise InvalidArgumentError(
            f"invalid trigger name {trigger.name!r:.60}: letters, digits, '.', '_' or '-'"
        )
    kind = _kind(trigger.when)
    register, against = trigger.register, trigger.against
    if trigger.model is not None:
        ref = parse_ref(trigger.model)
        if ref.alias is None:
            raise InvalidArgumentError(f"--model is NAME@ALIAS, not {trigger.model!r:.60}")
        registry.model(ref.name)
        against = trigger.against if trigger.against != "champion" else ref.alias
        register = register or ref.name
    when, baseline = _condition(registry, trigger, kind, cwd)
    retrain = trigger.retrain
    if "@" in retrain:
        version = registry.resolve(retrain)
        if version.run_id is None:
            raise NotFoundError(f"{retrain} has no producing run to retrain from")
        register = register or version.model
    else:
        retrain = _run_id(registry, retrain)
    check_alias(against)
    _check_options(trigger)
    return replace(
        trigger, kind=kind, when=when, register=register, against=against, retrain=retrain,
        baseline=baseline,
    )  # fmt: skip


def content_digest(path: str) -> str:
    """The digest of a file's (or a folder's files') content.

    Raises:
        NotFoundError: If nothing is there.
    """
    from ..capture.inputs import digest_file, digest_folder

    if os.path.isdir(path):
        return digest_folder(path)[0]
    if os.path.isfile(path):
        return digest_file(path).sha256
    raise NotFoundError(f"{path}: no such file or folder to watch")


def current_triggers(events: Iterable[Event]) -> dict[str, Trigger]:
    """The triggers as the log defines them now (by name)."""
    found: dict[str, Trigger] = {}
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        name = details.get("name")
        if not isinstance(name, str):
            continue
        if event.kind == "trigger_defined":
            found[name] = Trigger.from_json(details["definition"])
        elif event.kind == "trigger_removed":
            found.pop(name, None)
        elif name in found and event.kind in ("trigger_enabled", "trigger_disabled"):
            found[name] = replace(found[name], enabled=event.kind == "trigger_enabled")
    return found


def ensure_new(triggers: Mapping[str, Trigger], name: str) -> None:
    """Refuse a name in use."""
    if name in triggers:
        raise ConflictError(f"a trigger named {name!r} exists: remove it first")


def _run_id(registry: Registry, text: str) -> str:
    """A run id, or the one run whose id starts with ``text`` (at least 4 characters)."""
    if len(text) == 32:
        return registry.store.get_run(text).id
    if len(text) < 4 or not re.fullmatch(r"[0-9a-f]+", text):
        raise InvalidArgumentError(
            f"--retrain is a run id (4+ hex characters) or NAME@ALIAS, not {text!r:.40}"
        )
    found = registry.store.run_ids_with_prefix(text, 2)
    if not found:
        raise NotFoundError(f"no run starts with {text}")
    if len(found) > 1:
        raise InvalidArgumentError(f"ambiguous: several runs start with {text}")
    return found[0]
