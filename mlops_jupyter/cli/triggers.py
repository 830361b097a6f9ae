"""``mlops-jupyter triggers ...`` and ``mlops-jupyter monitor run``: continuous training.

Every command has ``--json``. Errors exit 2 (a bad condition, an unknown run, model or
trigger) or 1 (refused: a name in use). ``monitor run`` exits 0 when the evaluation ran,
whatever the firings' outcomes (they are in its output and in the log).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ..formatting import clip
from .common import Subcommands, json_flag, print_json, read_store

if TYPE_CHECKING:
    from ..triggers import Monitor

__all__ = ["register"]


def _monitor() -> Monitor:
    from ..triggers import Monitor

    store_setting = os.environ.get("MLOPS_JUPYTER_STORE") or None
    return Monitor(read_store(), store_setting=store_setting)


def _params(pairs: list[str] | None) -> dict[str, Any]:
    from ..capture.source import parse_key_value

    params: dict[str, Any] = {}
    for text in pairs or []:
        try:
            key, value = parse_key_value(text)
        except ValueError as exc:
            raise InvalidArgumentError(f"--param {text!r:.60}: {exc}") from None
        params[key] = value
    return params


def _print_trigger(data: dict[str, Any]) -> None:
    state = "enabled" if data["enabled"] else "disabled"
    scope = data["model"] or f"experiment {data['experiment']}" if data["kind"] == "metric" else ""
    print(f"{data['name']} ({state}): when {data['when']}" + (f" in {scope}" if scope else ""))
    target = (
        f", register into {data['register']}, gate against @{data['against']}"
        if data["register"]
        else ""
    )
    cooldown = f"cooldown {data['cooldown']:g} s"
    print(f"  retrain {data['retrain']} on {data['executor']}{target}; {cooldown}")
    if data.get("params"):
        print("  params: " + ", ".join(f"{k}={v!r}" for k, v in data["params"].items()))
    last = data.get("last_firing")
    if last:
        print(f"  last fired {last['at'][:19]}: {last['outcome']} — {clip(str(last['cause']), 80)}")


def cmd_add(args: argparse.Namespace) -> int:
    """Define a trigger (checked now)."""
    from ..triggers import Trigger

    trigger = Trigger(
        name=args.name,
        when=args.when,
        kind="",
        retrain=args.retrain,
        experiment=args.experiment,
        model=args.model,
        window=args.window,
        params=_params(args.param),
        register=args.register,
        against=args.against or "champion",
        rules=tuple(args.rule or ()),
        cooldown=args.cooldown,
        executor=args.executor,
        promote=args.promote,
        enabled=not args.disabled,
        webhook=args.webhook,
        webhook_secret_env=args.webhook_secret_env,
    )
    added = _monitor().add(trigger)
    if args.json:
        print_json(added.to_json())
    else:
        _print_trigger({**added.to_json(), "last_firing": None})
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """The triggers with their last firing."""
    listed = _monitor().status()
    if args.json:
        print_json({"triggers": listed})
        return 0
    if not listed:
        print("no triggers")
    for data in listed:
        _print_trigger(data)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """One trigger and its firings."""
    monitor = _monitor()
    trigger = monitor.get(args.name)
    firings = monitor.firings(args.name)
    if args.json:
        print_json({**trigger.to_json(), "firings": firings})
        return 0
    _print_trigger({**trigger.to_json(), "last_firing": firings[0] if firings else None})
    for firing in firings:
        error = firing.get("error") or {}
        where = f" (cell {error['cell']})" if error.get("cell") is not None else ""
        detail = f": {clip(str(error.get('message')), 80)}{where}" if error else ""
        print(f"  {firing['firing']:>5}  {firing['at'][:19]}  {firing['outcome']:<17}{detail}")
    return 0


def cmd_toggle(args: argparse.Namespace) -> int:
    """Enable, disable or remove a trigger."""
    monitor = _monitor()
    if args.triggers_command == "remove":
        monitor.remove(args.name)
        result: dict[str, Any] = {"name": args.name, "removed": True}
    else:
        trigger = monitor.set_enabled(args.name, args.triggers_command == "enable")
        result = {"name": trigger.name, "enabled": trigger.enabled}
    if args.json:
        print_json(result)
    else:
        print(f"{args.name}: {args.triggers_command}d")
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    """Evaluate the triggers once (--once) or every --interval seconds until interrupted."""
    monitor = _monitor()
    try:
        while True:
            firings = [f.to_json() for f in monitor.evaluate()]
            if args.json:
                print_json({"firings": firings})
            else:
                for firing in firings:
                    error = firing.get("error") or {}
                    detail = f" ({clip(str(error.get('message')), 100)})" if error else ""
                    print(f"{firing['trigger']}: {firing['outcome']}{detail} — {firing['cause']}")
                if not firings and args.once:
                    print("no trigger fired")
            sys.stdout.flush()
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        monitor.close()


def register(commands: Subcommands) -> None:
    """Add ``triggers`` and ``monitor``."""
    triggers = commands.add_parser("triggers", help="continuous training: retrain when ...")
    sub = triggers.add_subparsers(dest="triggers_command", required=True)
    add = sub.add_parser(
        "add",
        help="define a trigger",
        description="Conditions: a metric filter (metrics.accuracy < 0.9), drift, "
        "drift:COLUMN, new-data:PATH, every 6h.",
    )
    add.add_argument("name")
    add.add_argument("--when", required=True, metavar="CONDITION")
    scope = add.add_mutually_exclusive_group()
    scope.add_argument("--experiment", help="a metric condition reads this experiment's runs")
    scope.add_argument("--model", metavar="NAME@ALIAS", help="... or this alias's evaluations")
    add.add_argument("--retrain", required=True, metavar="RUN_ID|NAME@ALIAS")
    add.add_argument("--param", action="append", metavar="K=V", help="a parameter (repeatable)")
    add.add_argument("--register", metavar="MODEL", help="register the result into this model")
    add.add_argument("--against", metavar="ALIAS", help="gate against (default: --model's alias)")
    add.add_argument("--rule", action="append", metavar="RULE", help="a gate rule (repeatable)")
    add.add_argument("--window", type=int, default=1, help="mean of the last N runs")
    add.add_argument("--cooldown", type=float, default=3600.0, metavar="SECONDS")
    add.add_argument("--executor", default="local", help="local or dask://HOST:PORT")
    add.add_argument(
        "--promote",
        action="store_true",
        help="promote when the policy needs no approval (never past one that does)",
    )
    add.add_argument("--webhook", metavar="URL", help="POST every outcome here, signed")
    add.add_argument("--webhook-secret-env", metavar="VAR", help="the HMAC secret's variable")
    add.add_argument("--disabled", action="store_true", help="define it disabled")
    json_flag(add)
    add.set_defaults(func=cmd_add)
    listing = sub.add_parser("list", help="the triggers with their last firing")
    json_flag(listing)
    listing.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="a trigger and its firings")
    show.add_argument("name")
    json_flag(show)
    show.set_defaults(func=cmd_show)
    for verb in ("enable", "disable", "remove"):
        toggle = sub.add_parser(verb, help=f"{verb} a trigger")
        toggle.add_argument("name")
        json_flag(toggle)
        toggle.set_defaults(func=cmd_toggle)

    monitor = commands.add_parser("monitor", help="evaluate the triggers")
    monitor_sub = monitor.add_subparsers(dest="monitor_command", required=True)
    run = monitor_sub.add_parser(
        "run", help="evaluate the triggers (for cron, systemd or CI: --once)"
    )
    run.add_argument("--once", action="store_true", help="one evaluation, then exit")
    run.add_argument("--interval", type=float, default=60.0, metavar="SECONDS")
    json_flag(run, '{"firings": [...]} per evaluation')
    run.set_defaults(func=cmd_monitor)
