"""``mlops-jupyter models ...``: the model registry; ``mlops-jupyter lineage REF``.

Every command has ``--json``; errors exit 2 (a bad argument, an unknown model, version, alias
or run) or 1 (a refused action: an alias that moved meanwhile, nothing to roll back to).
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ..formatting import clip, format_bytes, format_value
from .common import Subcommands, json_flag, print_json, read_store, resolve_run_id

if TYPE_CHECKING:
    from ..registry import Lineage, Registry
    from ..store.lifecycle import Event

__all__ = ["register"]


def _registry(*, create: bool = False) -> Registry:
    from ..registry import Registry

    if create:
        from ..store import get_store

        return Registry(get_store())
    return Registry(read_store())


def _tags(pairs: list[str] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidArgumentError(f"invalid tag {pair!r}: KEY=VALUE")
        tags[key] = value
    return tags


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(
            f"invalid date {text!r}: ISO 8601, e.g. 2026-11-30 or 2026-11-30T14:00+01:00"
        ) from None
    if moment.tzinfo is None:  # a bare date or time is local time
        moment = moment.astimezone()
    if len(text) == 10:  # a date alone: the end of that day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment.astimezone(timezone.utc)


def _event_line(event: Event) -> str:
    moved = ""
    if event.alias:
        before = "-" if event.from_version is None else f"v{event.from_version}"
        after = "-" if event.to_version is None else f"v{event.to_version}"
        moved = f"@{event.alias} {before} → {after}"
    elif event.to_version is not None:
        moved = f"v{event.to_version}"
    reason = f"  “{clip(event.reason, 60)}”" if event.reason else ""
    who = clip(event.actor, 14)
    return f"{event.seq:>5}  {event.at[:19]:<19}  {who:<14}  {event.kind:<18}  {moved}{reason}"


# -- models ----------------------------------------------------------------------------------


def cmd_register(args: argparse.Namespace) -> int:
    """Register a version from a run (its artifacts, or those named) or from local files."""
    if not args.run and not args.artifact:
        raise InvalidArgumentError("give --run RUN_ID, --artifact PATH, or both")
    registry = _registry(create=not args.run)
    run = resolve_run_id(registry.store, args.run) if args.run else None
    version = registry.register(
        args.name,
        run=run,
        artifacts=args.artifact or (),
        description=args.description or "",
        tags=_tags(args.tag),
    )
    if args.json:
        print_json({**version.to_json(), "ref": version.ref})
        return 0
    origin = f" from run {version.run_id[:12]}" if version.run_id else ""
    print(
        f"registered {version.ref} ({version.flavor}, {version.files} file(s), "
        f"{format_bytes(version.size)}){origin}"
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List the models."""
    models = _registry().summaries()
    if args.json:
        print_json({"models": models})
        return 0
    if not models:
        print("no models")
        return 0
    print(f"{'NAME':<24}  {'VERSIONS':>8}  {'LATEST':>6}  ALIASES")
    for model in models:
        aliases = ", ".join(f"@{a}=v{v}" for a, v in model["aliases"].items()) or "-"
        print(
            f"{clip(model['name'], 24):<24}  {model['versions']:>8}  "
            f"{model['latest'] or '-':>6}  {aliases}"
        )
    return 0


def _show_model(registry: Registry, name: str, as_json: bool) -> int:
    model = registry.model(name)
    versions = registry.log.list_versions(name)
    aliases = registry.log.aliases(name)
    if as_json:
        print_json(
            {**model.to_json(), "aliases": aliases, "versions": [v.to_json() for v in versions]}
        )
        return 0
    print(f"model {model.name}  (created by {model.created_by})")
    if model.description:
        print(f"  {model.description}")
    by_version: dict[int, list[str]] = {}
    for alias, number in aliases.items():
        by_version.setdefault(number, []).append(f"@{alias}")
    for v in versions:
        chips = " ".join(by_version.get(v.version, []))
        run = v.run_id[:12] if v.run_id else "-"
        print(
            f"  v{v.version:<4} {v.flavor:<8} {format_bytes(v.size):>9}  run {run:<12}  "
            f"{v.created_by:<12} {chips}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Show a model (its versions and aliases) or one version."""
    from ..registry import parse_ref

    registry = _registry()
    ref = parse_ref(args.ref)
    if args.at is not None:
        if ref.alias is None:
            raise InvalidArgumentError("--at needs NAME@ALIAS")
        holder, event = registry.holder_at(ref.name, ref.alias, _when(args.at))
        if holder is None:
            raise InvalidArgumentError(f"{ref} pointed at no version on {args.at}")
        version = registry.log.get_version(ref.name, holder)
        data = registry.describe(version)
        data["moved_by"] = event.to_json() if event else None
    elif ref.alias is None and ref.version is None:
        return _show_model(registry, ref.name, args.json)
    else:
        data = registry.describe(registry.resolve(ref))
    if args.json:
        print_json({**data, "ref": f"{data['name']}/{data['version']}"})
        return 0
    _print_version(data)
    return 0


def _print_version(data: dict[str, Any]) -> None:
    chips = " ".join(f"@{a}" for a in data["aliases"])
    print(f"{data['name']} version {data['version']}  {chips}".rstrip())
    print(f"  flavor:     {data['flavor']}")
    print(f"  registered: {data['created_at'][:19]} by {data['created_by']}")
    if data.get("moved_by"):
        moved = data["moved_by"]
        print(f"  alias set:  {moved['at'][:19]} by {moved['actor']}: {moved['reason'] or '-'}")
    if data["description"]:
        print(f"  about:      {data['description']}")
    run = data.get("run")
    if run:
        print(f"  run:        {run['id']}" + (" (missing)" if run.get("missing") else ""))
        for key, value in (run.get("metrics") or {}).items():
            print(f"    {key} = {format_value(value)}")
    for entry in data["manifest"]:
        print(
            f"  file:       {entry['path']}  {format_bytes(entry['size'])}  "
            f"sha256 {entry['sha256'][:16]}  ({entry['format']})"
        )
    if data.get("manifest_error"):
        print(f"  files:      unreadable ({data['manifest_error']})")
    if data.get("signature"):
        inputs = data["signature"].get("inputs") or []
        print("  signature:  " + ", ".join(f"{i['name']}:{i.get('dtype') or '?'}" for i in inputs))


def _moved(event: Event, as_json: bool, verb: str) -> int:
    if as_json:
        print_json({**event.to_json(), "name": event.model, "version": event.to_version})
        return 0
    before = "unset" if event.from_version is None else f"version {event.from_version}"
    after = "unset" if event.to_version is None else f"version {event.to_version}"
    print(f"{verb} {event.model}@{event.alias}: {before} → {after} (event {event.seq})")
    return 0


def cmd_alias(args: argparse.Namespace) -> int:
    """Point an alias at a version (or remove it), with a reason."""
    if (args.version is None) == (not args.remove):
        raise InvalidArgumentError("give VERSION, or --remove")
    version = None if args.remove else _version_number(args.version)
    event = _registry().set_alias(args.name, args.alias, version, reason=args.reason)
    return _moved(event, args.json, "moved")


def _version_number(text: str) -> int:
    number = text[1:] if text[:1] in ("v", "V") else text
    if not number.isdigit() or int(number) < 1:
        raise InvalidArgumentError(f"invalid version {text!r}: a positive number")
    return int(number)


def cmd_rollback(args: argparse.Namespace) -> int:
    """Move an alias back to its previous holder, with a reason."""
    event = _registry().rollback(args.name, args.alias, reason=args.reason)
    return _moved(event, args.json, "rolled back")


def cmd_history(args: argparse.Namespace) -> int:
    """A model's events (an alias's moves), oldest first."""
    events = _registry().history(args.name, args.alias)
    if args.json:
        print_json({"events": [e.to_json() for e in events]})
        return 0
    if not events:
        print("no events")
        return 0
    print(f"{'SEQ':>5}  {'AT (UTC)':<19}  {'ACTOR':<14}  {'EVENT':<18}  WHAT")
    for event in events:
        print(_event_line(event))
    return 0


def cmd_files(args: argparse.Namespace) -> int:
    """Write a version's files to a folder (checked against their hashes) and print it."""
    registry = _registry()
    version = registry.resolve(args.ref)
    folder = registry.files(version, args.to)
    if args.json:
        print_json({"name": version.model, "version": version.version, "path": str(folder)})
    else:
        print(folder)
    return 0


# -- gates, approvals, promotion -----------------------------------------------------------


def _print_gate(data: dict[str, Any]) -> None:
    verdict = "PASSED" if data["passed"] else "FAILED"
    against = data["against_version"]
    versus = f"@{data['against']} (version {against})" if against else f"@{data['against']} (unset)"
    print(
        f"gate {data.get('gate_id', '-')}: {data['name']}/{data['version']} vs {versus}: {verdict}"
    )
    same = data["same_eval_data"]
    if same is not None:
        print(f"  same evaluation data: {'yes' if same else 'NO'}")
    for side in ("candidate", "champion"):
        evaluation = data.get(side)
        if evaluation:
            digest = (evaluation.get("data_digest") or "none")[:12]
            print(
                f"  {side}: run {evaluation['run_id'][:12]} ({evaluation['source']}), data {digest}"
            )
    for metric, row in data["deltas"].items():
        delta = "" if row["delta"] is None else f"  Δ {row['delta']:+.4g}"
        champion = "" if row["champion"] is None else f" vs {format_value(row['champion'])}"
        mark = "ok" if row["passed"] else "--"
        print(f"  [{mark}] {metric}: {format_value(row['candidate'])}{champion}{delta}")
    for metric, interval in (data.get("bootstrap") or {}).items():
        low, high = interval["low"], interval["high"]
        print(
            f"  {metric} difference {interval['level']:.0%} interval [{low:+.4g}, {high:+.4g}] "
            f"({interval['resamples']} resamples)"
        )
    for reason in data["reasons"]:
        print(f"  reason: {reason}")


def cmd_gate(args: argparse.Namespace) -> int:
    """Gate a candidate version against an alias's holder; exit 0 passed, 1 failed."""
    registry = _registry()
    reevaluate = None
    if args.reevaluate:
        from ..registry.reevaluate import SweepReevaluator

        reevaluate = SweepReevaluator(registry)
    result = registry.gate(
        args.name,
        _version_number(args.version),
        against=args.against,
        rules=args.rule or None,
        data=args.data,
        bootstrap=args.bootstrap,
        seed=args.seed,
        reevaluate=reevaluate,
    )
    data = result.to_json()
    if args.json:
        print_json(data)
    else:
        _print_gate(data)
    return 0 if result.passed else 1


def _print_request(state: dict[str, Any]) -> None:
    print(
        f"request {state['id']}: {state['name']}/{state['version']} → @{state['alias']}  "
        f"{state['status']} ({state['counted']}/{state['required']} approvals)"
    )
    print(
        f"  asked by {state['requester']} on {str(state['created_at'])[:19]}, "
        f"expires {str(state['expires_at'])[:19]}"
    )
    for vote in state["approvals"]:
        print(f"  approved by {vote['actor']}: {vote['comment'] or '-'}")
    for vote in state["rejections"]:
        print(f"  rejected by {vote['actor']}: {vote['comment']}")


def cmd_request_approval(args: argparse.Namespace) -> int:
    """Ask for approval to promote a version to an alias."""
    state = _registry().request_approval(
        args.name, _version_number(args.version), args.alias, comment=args.comment
    )
    if args.json:
        print_json(state)
    else:
        _print_request(state)
    return 0


def cmd_vote(args: argparse.Namespace) -> int:
    """Approve or reject a request."""
    registry = _registry()
    if args.models_command == "approve":
        state = registry.approve(args.request_id, comment=args.comment)
    else:
        state = registry.reject(args.request_id, comment=args.comment)
    if args.json:
        print_json(state)
    else:
        _print_request(state)
    return 0


def cmd_requests(args: argparse.Namespace) -> int:
    """List approval requests, newest first."""
    found = _registry().requests(args.name, status=args.status)
    if args.json:
        print_json({"requests": found})
        return 0
    if not found:
        print("no requests")
    for state in found:
        _print_request(state)
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    """Promote a version to an alias; exit 1 with every missing condition when refused."""
    from ..store.lifecycle import GuardRefusedError

    registry = _registry()
    try:
        event = registry.promote(
            args.name, _version_number(args.version), args.alias, reason=args.reason
        )
    except GuardRefusedError as exc:
        if args.json:
            refusal = None if exc.event is None else exc.event.to_json()
            print_json({"promoted": False, "reasons": exc.reasons, "event": refusal})
        else:
            print(f"not promoted: {args.name}/{args.version} → @{args.alias}")
            for reason in exc.reasons:
                print(f"  - {reason}")
        return 1
    if args.json:
        print_json(
            {
                "promoted": True,
                "name": event.model,
                "alias": event.alias,
                "version": event.to_version,
                "event": event.to_json(),
            }
        )
    else:
        before = "unset" if event.from_version is None else f"version {event.from_version}"
        print(f"promoted {event.model}/{event.to_version} to @{event.alias} (was {before})")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    """Show or change a model's approval policy."""
    import json

    from ..registry import Policy

    registry = _registry()
    policy = registry.policy(args.name)
    changed = False
    if args.reset:
        policy = registry.set_policy(args.name, None, reason=args.reason)
        changed = True
    elif args.file:
        with open(args.file, encoding="utf-8") as f:
            policy = registry.set_policy(args.name, json.load(f), reason=args.reason)
        changed = True
    else:
        updates = {
            key: value
            for key, value in (
                ("approvals", args.approvals),
                (
                    "approvers",
                    None
                    if args.approvers is None
                    else [a.strip() for a in args.approvers.split(",") if a.strip()],
                ),
                ("self_approval", args.self_approval),
                ("gate", args.gate),
                ("protected", args.protected),
                ("authenticated_only", args.authenticated_only),
                ("rules", args.rule),
            )
            if value is not None
        }
        if updates or args.expiry_days is not None:
            stored = policy.to_json()
            if updates:
                if not args.alias:
                    raise InvalidArgumentError("give --alias ALIAS for the rules to change")
                rules = {**policy.for_alias(args.alias).to_json(), **updates}
                if args.alias not in stored["aliases"] and "protected" not in updates:
                    rules["protected"] = True
                stored["aliases"][args.alias] = rules
            if args.expiry_days is not None:
                stored["expiry_days"] = args.expiry_days
            policy = registry.set_policy(
                args.name, Policy.from_json(stored).to_json(), reason=args.reason
            )
            changed = True
    shown = registry.policy(args.name).describe() if changed else policy.describe()
    if args.json:
        print_json({"name": args.name, **shown})
        return 0
    source = "set" if shown["explicit"] else "defaults"
    print(f"policy of {args.name} ({source}; requests expire after {shown['expiry_days']:g} days)")
    for alias, rules in shown["aliases"].items():
        who = ", ".join(rules["approvers"]) or "anyone but the requester"
        print(
            f"  @{alias}: gate {'required' if rules['gate'] else 'not required'}, "
            f"{rules['approvals']} approval(s) from {who}"
            f"{', self-approval allowed' if rules['self_approval'] else ''}"
            f"{', protected' if rules['protected'] else ''}"
        )
        for rule in rules["rules"]:
            print(
                f"    rule: {rule['metric']} {'higher' if rule['greater_is_better'] else 'lower'}"
            )
    return 0


# -- lineage ---------------------------------------------------------------------------------


def _print_lineage(result: Lineage) -> None:
    arrow = "made from" if result.direction == "back" else "used by"
    print(f"lineage of {result.ref} ({arrow}):")
    for node in result.nodes.values():
        print(f"  {node.kind:<8}  {node.label}")
        detail = node.detail
        if node.kind == "run" and detail:
            _print_run(detail, source=result.direction == "back")
        elif node.kind == "data" and detail:
            print(f"            sha256 {detail['sha256']}")
    if result.truncated:
        print("  ... (stopped: too many nodes; use --json for what was walked)")


def _print_run(detail: dict[str, Any], *, source: bool) -> None:
    print(
        f"            experiment {detail['experiment']}, {detail['status']}, "
        f"started {detail['started_at'][:19]}"
    )
    for key in ("params", "metrics"):
        values = detail.get(key) or {}
        if values:
            text = ", ".join(f"{k}={format_value(v)}" for k, v in values.items())
            print(f"            {key}: {clip(text, 100)}")
    notebook = detail.get("notebook") or {}
    if notebook.get("path"):
        snap = notebook.get("snapshot_sha256")
        snapshot = f" (snapshot {snap[:12]})" if snap else ""
        print(f"            notebook: {notebook['path']}{snapshot}")
    git = detail.get("git") or {}
    if git.get("commit"):
        diff = git.get("diff_sha256")
        dirty = f", uncommitted changes (diff {diff[:12]})" if git.get("dirty") and diff else ""
        print(f"            git: {git['commit'][:12]}{dirty}")
    env = detail.get("environment") or {}
    if env.get("python"):
        print(
            f"            environment: Python {env['python']}, {env.get('packages') or 0} packages"
        )
    for record in detail.get("inputs") or []:
        sha = record.get("sha256") or "-"
        print(f"            input: {record['path']}  sha256 {sha}")
    code = detail.get("source") or ""
    if code and source:
        print("            cell source:")
        for line in code.splitlines()[:40]:
            print(f"              | {line}")


def cmd_lineage(args: argparse.Namespace) -> int:
    """Walk back from a version, alias or run to its data and code (or forward)."""
    from ..registry import lineage

    result = lineage(_registry(), args.ref, reverse=args.reverse)
    if args.json:
        print_json(result.to_json())
    else:
        _print_lineage(result)
    return 0


def register(commands: Subcommands) -> None:
    """Add ``models`` and ``lineage``."""
    models = commands.add_parser("models", help="the model registry: versions, aliases, history")
    sub = models.add_subparsers(dest="models_command", required=True)

    reg = sub.add_parser("register", help="register a new version of a model")
    reg.add_argument("name", help="the model's name (created with its first version)")
    reg.add_argument("--run", help="the run that produced it (an id or a unique prefix)")
    reg.add_argument(
        "--artifact",
        action="append",
        metavar="PATH",
        help="a file of the version: one of the run's artifacts, or a local file (repeat for "
        "several; default: all the run's artifacts)",
    )
    reg.add_argument("--description", help="free text")
    reg.add_argument("--tag", action="append", metavar="KEY=VALUE", help="a tag (repeatable)")
    json_flag(reg)
    reg.set_defaults(func=cmd_register)

    listing = sub.add_parser("list", help="list the models")
    json_flag(listing)
    listing.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="show a model, or one version")
    show.add_argument("ref", metavar="NAME[@ALIAS|/VERSION]")
    show.add_argument(
        "--at", metavar="DATE", help="with NAME@ALIAS: the version it pointed at on DATE"
    )
    json_flag(show)
    show.set_defaults(func=cmd_show)

    alias = sub.add_parser("alias", help="point an alias at a version")
    alias.add_argument("name")
    alias.add_argument("alias", help="e.g. champion, challenger, production")
    alias.add_argument("version", nargs="?", help="the version number")
    alias.add_argument("--remove", action="store_true", help="remove the alias instead")
    alias.add_argument("--reason", required=True, help="why (kept in the alias's history)")
    json_flag(alias)
    alias.set_defaults(func=cmd_alias)

    rollback = sub.add_parser("rollback", help="move an alias back to its previous version")
    rollback.add_argument("name")
    rollback.add_argument("alias")
    rollback.add_argument("--reason", required=True, help="why (kept in the alias's history)")
    json_flag(rollback)
    rollback.set_defaults(func=cmd_rollback)

    history = sub.add_parser("history", help="a model's events, oldest first")
    history.add_argument("name")
    history.add_argument("--alias", help="only this alias's moves")
    json_flag(history)
    history.set_defaults(func=cmd_history)

    gate = sub.add_parser(
        "gate",
        help="compare a candidate version with an alias's holder (exit 0 passed, 1 failed)",
    )
    gate.add_argument("name")
    gate.add_argument("version")
    gate.add_argument("--against", default="champion", metavar="ALIAS")
    gate.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="METRIC[:higher|:lower][,min=X][,max=X][,abs=X][,rel=X%%] (repeatable; default: "
        "the policy's rules)",
    )
    gate.add_argument("--data", help="only inputs matching this path, name or digest count")
    gate.add_argument(
        "--reevaluate",
        action="store_true",
        help="re-run the champion's evaluation notebook on the candidate's data when they differ",
    )
    gate.add_argument("--bootstrap", type=int, metavar="N", help="paired bootstrap resamples")
    gate.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    json_flag(gate)
    gate.set_defaults(func=cmd_gate)

    ask = sub.add_parser("request-approval", help="ask for approval to promote a version")
    ask.add_argument("name")
    ask.add_argument("version")
    ask.add_argument("--alias", required=True)
    ask.add_argument("--comment")
    json_flag(ask)
    ask.set_defaults(func=cmd_request_approval)

    approve = sub.add_parser("approve", help="approve a request")
    approve.add_argument("request_id")
    approve.add_argument("--comment")
    json_flag(approve)
    approve.set_defaults(func=cmd_vote)

    reject = sub.add_parser("reject", help="reject a request, saying why")
    reject.add_argument("request_id")
    reject.add_argument("--comment", required=True)
    json_flag(reject)
    reject.set_defaults(func=cmd_vote)

    listing_requests = sub.add_parser("requests", help="approval requests, newest first")
    listing_requests.add_argument("name", nargs="?")
    listing_requests.add_argument(
        "--status", choices=["pending", "approved", "rejected", "expired", "void", "used"]
    )
    json_flag(listing_requests)
    listing_requests.set_defaults(func=cmd_requests)

    promote = sub.add_parser(
        "promote", help="move a gated alias to a version (exit 1 with the reasons if refused)"
    )
    promote.add_argument("name")
    promote.add_argument("version")
    promote.add_argument("--alias", required=True)
    promote.add_argument("--reason", required=True)
    json_flag(promote)
    promote.set_defaults(func=cmd_promote)

    policy = sub.add_parser("policy", help="show or change a model's approval policy")
    policy.add_argument("name")
    policy.add_argument("--alias", help="the alias whose rules change")
    policy.add_argument("--approvals", type=int, metavar="N")
    policy.add_argument("--approvers", metavar="USER,USER", help="who may approve ('' = anyone)")
    policy.add_argument("--self-approval", action=argparse.BooleanOptionalAction, default=None)
    policy.add_argument("--gate", action=argparse.BooleanOptionalAction, default=None)
    policy.add_argument(
        "--protected",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the alias moves only by promotion (default for aliases a policy names)",
    )
    policy.add_argument("--authenticated-only", action=argparse.BooleanOptionalAction, default=None)
    policy.add_argument("--rule", action="append", metavar="RULE", help="a default gate rule")
    policy.add_argument("--expiry-days", type=float, metavar="DAYS")
    policy.add_argument("--file", metavar="POLICY.json", help="the whole policy as JSON")
    policy.add_argument("--reset", action="store_true", help="back to the defaults")
    policy.add_argument("--reason")
    json_flag(policy)
    policy.set_defaults(func=cmd_policy)

    files = sub.add_parser("files", help="write a version's files to a folder")
    files.add_argument("ref", metavar="NAME[@ALIAS|/VERSION]")
    files.add_argument("--to", metavar="DIR", help="the folder (default: the model cache)")
    json_flag(files)
    files.set_defaults(func=cmd_files)

    walk = commands.add_parser(
        "lineage",
        help="what a model version or run was made from (or, --reverse, what used some data)",
    )
    walk.add_argument("ref", help="a run id, NAME@ALIAS, NAME/VERSION, a file path or a sha256")
    walk.add_argument(
        "--reverse", action="store_true", help="walk forward: every run and version that used it"
    )
    json_flag(walk)
    walk.set_defaults(func=cmd_lineage)
