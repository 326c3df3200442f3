"""The `hotline` command: check the admins' YAML, run the sandbox, the engine and the demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.errors import ConfigError, HotlineError, ScriptError

if TYPE_CHECKING:
    from hotline.dialplan.model import Dialplan
    from hotline.settings import Settings

EPILOG = """\
Settings come from HOTLINE_* environment variables (all optional; loopback defaults):
  HOTLINE_DIALPLAN_PATH  the admins' YAML, a file or a directory   (default: dialplans/)
  HOTLINE_STATE_DIR      generated secrets, Redis data, logs        (default: /var/lib/hotline)
  HOTLINE_CACHE_DIR      the cached Asterisk root                   (default: /var/cache/hotline)
  HOTLINE_HOST           where every service listens                (default: 127.0.0.1)
  HOTLINE_SIP_HOST, HOTLINE_AMI_HOST, HOTLINE_AGI_HOST, HOTLINE_REDIS_HOST
                         one service's own address instead          (default: HOTLINE_HOST)
                         each loopback or one private address; 0.0.0.0, ::, link-local and
                         public addresses are refused
  HOTLINE_SIP_PORT, HOTLINE_AMI_PORT, HOTLINE_AGI_PORT, HOTLINE_REDIS_PORT   (5060, 5038, 4573, 6379)

Start here:  sudo hotline demo
"""

SIMULATE_EXAMPLES = """\
examples:
  hotline simulate 1 1                        heating, then "no heating in the building", now
  hotline simulate 8 2                        a wrong key, then cold water
  hotline simulate --at "2026-11-22 12:00" 9  Sunday noon: the hours, the callback offer (9 declines)
  hotline simulate --at "2026-11-22 12:00" 1 1
                                              ... 1 takes the offer, 1 confirms the number
  hotline simulate - - 4                      two waits run out, then gas
  hotline simulate --lang en 6 1              the prompts' English words
  hotline simulate --json 6 1                 for scripts
  hotline simulate --dialplan my-copy.yaml 1  another dialplan file or directory
"""


def _progress(message: str) -> None:
    print(message, flush=True)


def _load_or_report(path: Path) -> Dialplan | None:
    """The dialplan at `path`, or None after printing every problem with its file and line."""
    from hotline.dialplan import load_dialplan

    try:
        return load_dialplan(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"\n{path}: {len(exc.problems)} problem(s); nothing was applied. Fix them and run "
            "`hotline check` again.",
            file=sys.stderr,
        )
        return None


def cmd_check(args: argparse.Namespace) -> int:
    from hotline.settings import Settings

    settings = Settings.from_env()
    path = Path(args.dialplan) if args.dialplan else settings.dialplan_path
    return 0 if _verify(settings, path, Path(args.checks) if args.checks else None) else 1


def _verify(settings: Settings, path: Path, checks_file: Path | None) -> bool:
    """`hotline check`'s work, printed: the YAML, its prompts and the scripted checks; True when all pass."""
    from hotline.prompts import missing_prompts
    from hotline.scripted_checks import checks_beside

    dialplan = _load_or_report(path)
    if dialplan is None:
        return False
    problems = missing_prompts(dialplan, settings.sounds_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"\n{path}: {len(problems)} prompt(s) missing: add a text in the YAML or a recording in "
            f"{settings.sounds_dir}/recorded/<language>/",
            file=sys.stderr,
        )
    checks = checks_file or checks_beside(path)
    checks_ok, checks_line = _scripted_checks(dialplan, checks) if checks else (True, "")
    if problems or not checks_ok:
        return False
    print(
        f"{path}: OK: {len(dialplan.menus)} menus, {len(dialplan.skill_groups)} skill groups, "
        f"{len(dialplan.operators)} operators, {len(dialplan.prompts)} prompts"
    )
    if checks_line:
        print(checks_line)
    return True


def cmd_schema(args: argparse.Namespace) -> int:
    """`hotline schema`: the dialplan's JSON Schema, printed or written to --output."""
    from hotline.dialplan.schema import schema_text

    if args.output:
        Path(args.output).write_text(schema_text(), encoding="utf-8")
        print(f"{args.output}: written")
    else:
        sys.stdout.write(schema_text())
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    """`hotline reload`, `rollback` and `versions` (hotline.versions_cli)."""
    from hotline.settings import Settings
    from hotline.versions_cli import main as versions_main

    settings = Settings.from_env()
    if args.command == "reload":
        path = Path(args.dialplan) if args.dialplan else settings.dialplan_path
        if not _verify(settings, path, None):
            print("Nothing was applied: the hotline keeps answering on the current version.", file=sys.stderr)
            return 1
    return asyncio.run(versions_main(settings, args, _report_refused))


def _report_refused(exc: ConfigError, path: Path) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(
        f"\n{path}: {len(exc.problems)} problem(s); nothing was applied, the hotline keeps answering on the "
        "current version. Fix them and run `hotline reload` again.",
        file=sys.stderr,
    )


def _scripted_checks(dialplan: Dialplan, path: Path) -> tuple[bool, str]:
    """Run the checks file `path`: whether all passed, and the line to print when they did. Problems and
    failures are printed with their file and line."""
    from hotline.scripted_checks import load_checks, run_checks

    try:
        checks = load_checks(path, dialplan)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"\n{path}: {len(exc.problems)} problem(s) in the scripted checks", file=sys.stderr)
        return False, ""
    failed = [result for result in run_checks(dialplan, checks) if not result.passed]
    for result in failed:
        print(result, file=sys.stderr)
    if failed:
        print(
            f"\n{path}: {len(failed)} of {len(checks)} scripted check(s) failed; "
            "`hotline simulate KEYS` shows the whole call",
            file=sys.stderr,
        )
        return False, ""
    return True, f"{path}: {len(checks)} scripted check{'s' if len(checks) != 1 else ''} passed"


def cmd_simulate(args: argparse.Namespace) -> int:
    import datetime as dt
    import json
    from zoneinfo import ZoneInfo

    from hotline.settings import Settings
    from hotline.simulate import as_json, describe, parse_at, parse_keys, simulate

    keys = " ".join(args.keys)
    try:
        parse_keys(keys)
    except ScriptError as exc:
        print(f"hotline simulate: bad keys: {exc}", file=sys.stderr)
        return 2
    path = Path(args.dialplan) if args.dialplan else Settings.from_env().dialplan_path
    dialplan = _load_or_report(path)
    if dialplan is None:
        return 1
    zone = dialplan.hotline.timezone
    try:
        when = parse_at(args.at, zone) if args.at else dt.datetime.now(ZoneInfo(zone))
        transcript = simulate(
            dialplan, keys, when, args.lang, caller_id=args.caller, emergency=args.emergency
        )
    except ScriptError as exc:
        print(f"hotline simulate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(transcript), ensure_ascii=False, indent=2))
    else:
        for line in describe(transcript, dialplan.hotline.name):
            print(line)
    return 0


def cmd_prompts(args: argparse.Namespace) -> int:
    from hotline.dialplan import load_dialplan
    from hotline.prompts import GENERATED_DIR, build_prompts
    from hotline.settings import Settings

    settings = Settings.from_env()
    dialplan = load_dialplan(settings.dialplan_path)
    if getattr(args, "action", None) == "list":
        return _prompts_list(args, dialplan, settings.sounds_dir)
    if getattr(args, "action", None) == "add":
        return _prompts_add(args, dialplan, settings.sounds_dir)
    report = build_prompts(
        dialplan,
        settings.sounds_dir,
        settings.sounds_dir / GENERATED_DIR,
        progress=lambda done, total, item: _progress(f"[{done}/{total}] {item}"),
    )
    print(report.summary())
    return 0


def _prompts_list(args: argparse.Namespace, dialplan: Dialplan, sounds_dir: Path) -> int:
    import json
    import shutil

    from hotline.prompts import GENERATED_DIR
    from hotline.prompts.listing import list_prompts

    if args.lang and args.lang not in dialplan.hotline.languages:
        print(
            f"hotline prompts list: the hotline has no language {args.lang!r}: its languages are "
            + ", ".join(dialplan.hotline.languages),
            file=sys.stderr,
        )
        return 2
    listing = list_prompts(dialplan, sounds_dir, sounds_dir / GENERATED_DIR, args.lang)
    if args.json:
        print(json.dumps(listing.to_json(), ensure_ascii=False, indent=2))
        return 0
    for line in listing.table(shutil.get_terminal_size((120, 24)).columns):
        print(line)
    print(listing.summary())
    return 0


def _prompts_add(args: argparse.Namespace, dialplan: Dialplan, sounds_dir: Path) -> int:
    from hotline.prompts.add import add_recording

    added = add_recording(dialplan, sounds_dir, args.prompt_id, Path(args.file), args.lang)
    print(added)
    print("Run `hotline prompts` to build it (`hotline prompts list` shows what each prompt plays).")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from hotline.sandbox.manage import Sandbox
    from hotline.settings import Settings

    sandbox = Sandbox(Settings.from_env())
    if args.action == "up":
        sandbox.up(_progress)
        print("The sandbox is up. Run the engine with `hotline serve`, or everything with `hotline demo`.")
    elif args.action == "down":
        sandbox.down(_progress)
    else:
        for line in sandbox.status().lines():
            print(line)
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    from hotline.dialplan import load_dialplan
    from hotline.secrets import load_or_create
    from hotline.settings import Settings

    settings = Settings.from_env()
    dialplan = load_dialplan(settings.dialplan_path)
    secrets = load_or_create(settings.state_dir, dialplan.operators)
    print(
        f"SIP server: {settings.sip_address}:{settings.sip_port} (UDP). Each operator's phone registers with:"
    )
    for op in dialplan.operators.values():
        if args.operator and op.id != args.operator:
            continue
        print(f"  {op.id:<8} extension {op.extension:<6} password {secrets.operators[op.id]}   {op.name}")
    print(f"Dial {dialplan.hotline.number} from a registered phone to call the hotline yourself.")
    if dialplan.emergency is not None and not args.operator:
        code = dialplan.emergency.feature_code
        print(f"Emergency mode: dial {code} from an operator's phone, PIN {secrets.emergency_pin}.")
    return 0


def cmd_fail2ban(args: argparse.Namespace) -> int:
    from hotline.dialplan import load_dialplan
    from hotline.render.fail2ban import render_jail
    from hotline.settings import Settings

    settings = Settings.from_env()
    sys.stdout.write(render_jail(settings, load_dialplan(settings.dialplan_path)))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from hotline import clock
    from hotline.engine import serve_forever
    from hotline.log import configure_logging
    from hotline.settings import Settings

    configure_logging(json=args.json_logs, level=args.log_level)
    if args.as_if_open:
        chosen = clock.running_from(clock.OPEN_TUESDAY)
    elif args.clock:
        chosen = clock.parse(args.clock)
    else:
        chosen = clock.from_env()
    return asyncio.run(serve_forever(Settings.from_env(), clock=chosen))


def cmd_demo(args: argparse.Namespace) -> int:
    from hotline.demo import run_demo
    from hotline.settings import Settings

    return asyncio.run(run_demo(Settings.from_env(), real_clock=args.real_clock, verbose=args.verbose))


def cmd_callbacks(args: argparse.Namespace) -> int:
    from hotline.callbacks_cli import main as callbacks_main
    from hotline.settings import Settings

    return asyncio.run(callbacks_main(Settings.from_env(), args))


def cmd_status(args: argparse.Namespace) -> int:
    from hotline.settings import Settings
    from hotline.status_cli import main as status_main

    if args.every <= 0:
        raise HotlineError("--every: give a number of seconds above 0")
    try:
        return asyncio.run(status_main(Settings.from_env(), args))
    except KeyboardInterrupt:  # Ctrl-C is how the live view is meant to end
        print()
        return 0


def cmd_trunk(args: argparse.Namespace) -> int:
    from hotline.settings import Settings
    from hotline.trunk_cli import main as trunk_main

    return trunk_main(Settings.from_env(), args)


def cmd_emergency(args: argparse.Namespace) -> int:
    from hotline.emergency_cli import main as emergency_main
    from hotline.settings import Settings

    return asyncio.run(emergency_main(Settings.from_env(), args))


def _dialplan_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dialplan", metavar="PATH", help="a YAML file or directory (default: HOTLINE_DIALPLAN_PATH)"
    )


def build_parser() -> argparse.ArgumentParser:
    from hotline.simulate import KEYS_HELP, SAMPLE_CALLER

    parser = argparse.ArgumentParser(
        prog="hotline",
        description="A citizens' hotline on Asterisk: voice menus from YAML, skill-group "
        "queues of operators on SIP phones.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "check",
        help="validate the dialplan YAML and its prompts, run the scripted checks; exit 1 on any problem",
        description="Read the admins' YAML strictly and report every problem with file, line "
        "and column. Then run the scripted checks kept beside it (checks.yaml: keys in, expected end "
        "out; docs/dialplan.md, section 7) and report each failing one at its line. Nothing is applied. "
        "Exit status 0 when all is well, 1 otherwise.",
    )
    _dialplan_option(p)
    p.add_argument(
        "--checks",
        metavar="FILE",
        help="the scripted checks to run (default: checks.yaml beside the dialplan, when there is one)",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the dialplan YAML, for editors (completion and checks as you type)",
        description="Print the JSON Schema of the dialplan's YAML files, made from the program's own "
        "model. Editors with a YAML language server read it through the first line of each file, "
        "`# yaml-language-server: $schema=./hotline.schema.json`. After an upgrade, regenerate it: "
        "hotline schema --output dialplans/hotline.schema.json",
    )
    p.add_argument("--output", metavar="FILE", help="write the schema to FILE instead of printing it")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "reload",
        help="check the dialplan and apply it to the running hotline; calls in progress are kept",
        description="Check the YAML as `hotline check` does (a problem applies nothing, and the hotline\n"
        "keeps answering on the current version), then build changed prompts, render Asterisk's\n"
        "configuration and reload only what changed through AMI: endpoints when an operator changed,\n"
        "queues keeping their members, pauses and statistics, the dialplan. New calls take the new\n"
        "version within a second (every engine process); calls in the menus finish on their own.\n"
        "The version is kept with its time and a summary of the change (`hotline versions`).\n"
        "The engine does the same on SIGHUP. Needs root (the sandbox's secrets).",
        epilog="Exit status 0 when applied (or already current), 1 when refused.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _dialplan_option(p)
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser(
        "rollback",
        help="apply the previous version again (or --to N) and put its files back",
        description="Apply the version before the current one (or version N) as a new version, then\n"
        "write its files back into the dialplan directory, so that the next `hotline reload` starts\n"
        "from it. Refused when the files hold changes that were never applied, unless --force.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--to", type=int, metavar="N", help="the version to go back to (`hotline versions`)")
    p.add_argument("--force", action="store_true", help="overwrite files with changes never applied")
    _dialplan_option(p)
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser(
        "versions",
        help="the applied versions of the dialplan: when, by whom, what changed (* the current one)",
    )
    p.add_argument("--limit", type=int, default=20, metavar="N", help="show the N newest (default: 20)")
    _dialplan_option(p)
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser(
        "simulate",
        help="walk the menus offline as a caller pressing keys: what they hear, where the call ends",
        description="Walk the voice menus offline as a caller who presses the given keys at the given time:\n"
        "print each prompt with its words, each key, each wait that runs out, and where the call ends\n"
        "(a queue, a callback, a farewell). The real menu engine and callback flow run; nothing is\n"
        "stored and Asterisk is not needed. Not simulated: the offer of a callback before queueing\n"
        "(callbacks.offer_over_wait), which the live wait of the queue decides.\n"
        "Exit status 0; 1 for a problem in the YAML; 2 for keys, a time or a language it cannot read.",
        epilog=f"{SIMULATE_EXAMPLES}\n{KEYS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("keys", nargs="*", help="the keys the caller presses (below); none: a silent caller")
    p.add_argument(
        "--at",
        metavar="'YYYY-MM-DD HH:MM'",
        help="when the call is made, local time of the hotline's time zone (default: now)",
    )
    p.add_argument(
        "--lang", metavar="CODE", help="show the prompts' words in this language (default: hotline.language)"
    )
    p.add_argument(
        "--caller",
        metavar="NUMBER",
        default=SAMPLE_CALLER,
        help=f"the caller ID that a callback reads back (default: {SAMPLE_CALLER}; '' for a hidden one)",
    )
    _dialplan_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON document, for scripts")
    p.add_argument(
        "--emergency", metavar="TEXT", help="emergency mode on: the caller first hears this announcement"
    )
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser(
        "prompts",
        help="build every prompt (recordings converted, the rest synthesized); list; add a recording",
        description="Without an action (or with `build`): convert admins' recordings and synthesize "
        "missing prompts with espeak-ng into 8 kHz mono WAV files that Asterisk plays natively. "
        "`list` shows every prompt per language, `add` stores an admin's recording of one.",
    )
    actions = p.add_subparsers(dest="action", required=False, metavar="ACTION")
    actions.add_parser(
        "build",
        help="build every prompt (the default action)",
        description="Convert admins' recordings and synthesize missing prompts with espeak-ng into "
        "8 kHz mono WAV files that Asterisk plays natively; unchanged ones are kept.",
    )
    q = actions.add_parser(
        "list",
        help="every prompt per language: its source, duration and text",
        description="One line per prompt and language (the generated group_<id> prompts too): its id, "
        "language, source (an admin's recording, or synthesized from the YAML's text), duration "
        "as built ('not built' until `hotline prompts` has built it from that source) and text. "
        "A language of hotline.languages without a text or a recording shows as missing.",
    )
    q.add_argument("--lang", metavar="CODE", help="only this language (default: every one the hotline has)")
    q.add_argument("--json", action="store_true", help="print one JSON document, with the whole texts")
    q = actions.add_parser(
        "add",
        help="store an admin's recording (wav, mp3, ogg...) of a prompt, checked and converted",
        description="Convert FILE (any format ffmpeg reads) as every prompt is converted: 8 kHz mono, "
        "silence trimmed, loudness set; refused with the reason when it is unreadable, silent or "
        "too long, or for an unknown prompt or language. It is stored as "
        "sounds/recorded/<lang>/<ID>.wav, replacing any earlier recording of that prompt, and the "
        "next `hotline prompts` builds from it. The original file is not kept.",
    )
    q.add_argument("prompt_id", metavar="ID", help="the prompt, as named under prompts: in the YAML")
    q.add_argument("file", metavar="FILE", help="the recording")
    q.add_argument("--lang", metavar="CODE", help="its language (default: hotline.language)")
    p.set_defaults(func=cmd_prompts)

    p = sub.add_parser(
        "sandbox",
        help="run Asterisk 22 and Redis locally on loopback (up, down, status)",
        description="up: build or reuse the Asterisk root (debootstrap), render the configuration "
        "from the YAML, build prompts, start Asterisk and Redis. Idempotent; needs root. "
        "down: stop them. status: what runs.",
    )
    p.add_argument("action", choices=["up", "down", "status"])
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser(
        "serve",
        help="run the engine: FastAGI voice menus and the AMI live state",
        description="Run the engine in the foreground until SIGTERM or Ctrl-C: the first stops "
        "taking new calls and lets live ones finish, a second one stops at once.",
    )
    p.add_argument("--json-logs", action="store_true", help="log JSON lines instead of readable text")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--as-if-open",
        action="store_true",
        help="for trying the sandbox at any hour: the engine's clock starts on a working Tuesday at 10:00 "
        "Moscow time (as the demo's), when the shipped line is open, and runs on from there",
    )
    when.add_argument(
        "--clock",
        metavar="ISO",
        help="start the engine's clock at this moment, e.g. 2026-11-22T12:00:00+03:00 (a Sunday: closed)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "demo",
        help="bring everything up and place simulated citizens' calls",
        description="Start the sandbox and the engine, register simulated operators (SIPp), "
        "place citizens' calls down different menu paths and print what happened to each.",
    )
    p.add_argument(
        "--real-clock",
        action="store_true",
        help="use the real time of day (default: a Tuesday at 10:00, when the line is open)",
    )
    p.add_argument("--verbose", action="store_true", help="also print the engine's log lines")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "credentials",
        help="show the SIP passwords of the operators' phones",
        description="Print each operator's SIP user name and generated password, for setting up "
        "a phone. Treat the output as a secret.",
    )
    p.add_argument("operator", nargs="?", help="only this operator id")
    p.set_defaults(func=cmd_credentials)

    p = sub.add_parser(
        "trunk",
        help="the SIP provider: show what is configured, give its password",
        description="The SIP provider the hotline's calls come from and callbacks go out by: the "
        "dialplan's `trunk:` section, or without one the sandbox's carrier on HOTLINE_CARRIER_ADDRESS. "
        "`show` prints it (never the password); `password` stores the account's password, asked twice "
        "without echo (or read from standard input), in the secrets file: it is never written in the YAML.",
    )
    p.add_argument("action", choices=["show", "password"])
    p.set_defaults(func=cmd_trunk)

    p = sub.add_parser(
        "fail2ban",
        help="print the jail of Debian's fail2ban that bans SIP password guessers",
        description="Print a jail for Debian's fail2ban, made from the settings: its `asterisk` filter "
        "reads Asterisk's security log, and an address refused HOTLINE_SECURITY_ALARM_FAILURES times "
        "(20) within a minute is banned for an hour at the firewall. Loopback and the provider's addresses "
        "are never banned. Install it with "
        "`hotline fail2ban > /etc/fail2ban/jail.d/hotline.conf && fail2ban-client reload`.",
    )
    p.set_defaults(func=cmd_fail2ban)

    p = sub.add_parser(
        "callbacks",
        help="supervise callback requests: list, show, cancel, summary",
        description="The callback requests in the sandbox's Redis, for supervisors. Times are in the "
        "hotline's time zone; ids may be shortened to any prefix that only one request has.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser(
        "list",
        help="open and dispatching requests, earliest deadline first",
        description="One line per request: id, group, masked number, source, status, due time, slack "
        "and attempts so far.",
    )
    q.add_argument("--group", metavar="G", help="only this skill group")
    q.add_argument(
        "--all", action="store_true", help="also done, failed and cancelled ones of the last 7 days"
    )
    q = actions.add_parser(
        "show",
        help="one request: the number in full and every attempt",
        description="Everything about one request, its attempts with operator, result, reason, talk "
        "time and AMI ActionID. Shows the citizen's number unmasked.",
    )
    q.add_argument("id", help="the request's id or a unique prefix of it")
    q = actions.add_parser(
        "cancel",
        help="cancel a request",
        description="An open request is cancelled at once; one being dialled is cancelled when its "
        "attempt ends, unless that attempt reaches the citizen. Exit 1 for an unknown id or a "
        "finished request.",
    )
    q.add_argument("id", help="the request's id or a unique prefix of it")
    q.add_argument("--reason", metavar="TEXT", default="supervisor", help="kept with the request")
    q = actions.add_parser(
        "summary",
        help="how well the promise is kept: SLA share, time to first attempt, reach, failures",
        description="Over the requests created since --since: the share called back within the SLA, "
        "time to first attempt (p50, p90), first-attempt reach rate, failed requests by reason.",
    )
    q.add_argument(
        "--since", metavar="SPAN|DATE", default="24h", help="24h, 7d, 90m, or an ISO date (default: 24h)"
    )
    p.set_defaults(func=cmd_callbacks)

    p = sub.add_parser(
        "status",
        help="live view of every group and operator: waiting, estimate, who is free, paused, in a call",
        description="Every skill group (callers waiting, longest wait, estimated wait, operators by "
        "state) and every operator (state, pause reason, calls answered today, time in the current "
        "call), read from the engine's live state in Redis. Redrawn in place every second until "
        "Ctrl-C; --once prints it once, --json prints it once for machines.",
    )
    p.add_argument("--once", action="store_true", help="print the status once and exit (for scripts)")
    p.add_argument("--json", action="store_true", help="print it once as JSON (implies --once)")
    p.add_argument(
        "--every", type=float, default=1.0, metavar="S", help="seconds between redraws (default: 1)"
    )
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "emergency",
        help="an announcement every caller hears before the menus: on, off, status, log",
        description="Emergency mode: every caller first hears the announcement, then is offered a "
        "callback when there is news. It ends by itself at its expiry. Needs an `emergency:` section in "
        "the YAML; operators can also use its feature code with the PIN of `hotline credentials`.",
    )
    from hotline.emergency_cli import add_arguments as add_emergency_arguments

    add_emergency_arguments(p)
    p.set_defaults(func=cmd_emergency)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from hotline.log import configure_logging

    args = build_parser().parse_args(argv)
    # Commands print their own progress; the engine's log lines are for `serve` (and `demo --verbose`).
    configure_logging(level="warning")
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except HotlineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
