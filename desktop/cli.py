"""Command-line entry: parse, call a service, print. No business logic lives here.

Exit status: 0 success, 2 bad input, 1 failure. With --json, exactly one JSON document
goes to stdout; messages go to stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from desktop import __version__
from desktop.config import SECRETS, SETTINGS, SettingError, setting
from desktop.demo_history import DEMO_HISTORY_DAYS
from desktop.domain.followup import FollowUpError
from desktop.domain.leads import LeadDraft, LeadInvalid
from desktop.domain.queue import QueueRuleError
from desktop.services.owner import OwnerRefused

OK, FAILURE, BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """The user's input is wrong; the message names what and how to fix it."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            return _open_window(args)
        return handler(args)
    except (BadInput, SettingError, LeadInvalid, QueueRuleError, FollowUpError,
            OwnerRefused) as exc:
        _say(f"error: {exc}")
        return BAD_INPUT
    except KeyboardInterrupt:
        _say("stopped")
        return OK
    except BrokenPipeError:
        # The reader went away (`frontdesk queue | head`): not a failure of ours. Point
        # stdout at devnull so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as exc:  # the last line of defence: a message, a log, exit 1
        logging.getLogger(__name__).exception("command failed")
        from desktop.adapters.secrets import redact
        _say(f"failed: {redact(str(exc))}")
        return FAILURE


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _emit(document) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _show(args, document, lines) -> int:
    """--json: the one JSON document; otherwise one printed line per row."""
    if args.json:
        _emit(document)
    else:
        for line in lines:
            print(line)
    return OK


def _app(args):
    from desktop.bootstrap import open_app, resolve_data_dir
    return open_app(resolve_data_dir(args.data_dir))


# -- the window ------------------------------------------------------------------------
def _days(text: str) -> int:
    """--demo-history: a whole number of days, 0 to 366."""
    try:
        days = int(text)
    except ValueError:
        days = -1
    if not 0 <= days <= 366:
        raise argparse.ArgumentTypeError(f"must be a number of days from 0 to 366, not {text!r}")
    return days


def _open_window(args) -> int:
    from desktop.bootstrap import resolve_data_dir
    from desktop.ui.app import make_demo_with_splash, run_desk
    if not args.demo:
        return run_desk(resolve_data_dir(args.data_dir), quit_after=args.quit_after)
    data_dir = make_demo_with_splash(args.demo_history)
    _say(f"demo data folder (deleted on exit): {data_dir}")
    try:
        return run_desk(data_dir, demo=True, quit_after=args.quit_after)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# -- config and secrets ----------------------------------------------------------------
def _config(args) -> int:
    app = _app(args)
    if args.action == "list":
        rows = [{"key": key, "value": app.settings[key], "default": spec.default,
                 "is_default": app.settings.is_default(key), "help": spec.help}
                for key, spec in SETTINGS.items()]
        if args.json:
            _emit(rows)
        else:
            for row in rows:
                mark = "" if row["is_default"] else "  (set)"
                print(f"{row['key']} = {json.dumps(row['value'])}{mark}")
        return OK
    if args.action in ("export", "import"):
        return _config_file(args, app)
    if not args.key:
        raise BadInput(f"config {args.action} needs a KEY (see 'frontdesk config list')")
    spec = setting(args.key)
    if args.action == "get":
        value = app.settings[args.key]
        _emit({"key": args.key, "value": value}) if args.json else print(
            value if isinstance(value, str) else json.dumps(value))
        return OK
    if args.value is None:
        raise BadInput(f"config set {args.key} needs a VALUE")
    value = spec.parse(args.value)
    passcode = _owner_passcode("Owner passcode") if spec.owner_only else None
    value = app.settings_service.set(args.key, value, _actor(app), passcode=passcode)
    _say(f"{args.key} = {json.dumps(value)}")
    if args.key in ("textback.enabled", "textback.template"):
        _say("the text-back now reads: " + _preview(app))
    return OK


def _config_file(args, app) -> int:
    """config export FILE / config import FILE: every changed setting as JSON, never a
    secret (a reinstall or a second PC, then `secret set` for each credential)."""
    if not args.key:
        raise BadInput(f"config {args.action} needs a FILE")
    path, service = Path(args.key), app.settings_service
    try:
        if args.action == "export":
            count = service.export_to(path)
            _say(f"{count} setting(s) written to {path} (no secrets: set them again with "
                 "'frontdesk secret set')")
            return OK
        document = service.read_export(path)
        passcode = _owner_passcode("Owner passcode") if service.needs_passcode(document) \
            else None
        keys = service.import_(document, _actor(app), passcode)
    except OwnerRefused:
        raise
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    _say(f"{len(keys)} setting(s) imported from {path}")
    return OK


def _owner_passcode(prompt: str) -> str:
    """Typed (hidden) at a terminal, else the next line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{prompt} (input hidden): ")
    return sys.stdin.readline().rstrip("\r\n")


def _owner(args) -> int:
    app = _app(args)
    owner = app.settings_service.owner
    current = _owner_passcode("Current owner passcode") if owner.is_set() else None
    new = _owner_passcode("New owner passcode")
    if sys.stdin.isatty() and new != _owner_passcode("The new passcode again"):
        raise BadInput("the two new passcodes differ")
    try:
        owner.set(new, current, _actor(app))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    _say("owner passcode set")  # never echo it
    return OK


def _secret(args) -> int:
    from desktop.adapters.secrets import SecretStore
    if args.action == "forget-all":  # the uninstaller's "also delete my data"
        forgotten = SecretStore().forget(SECRETS)
        _say(f"{len(forgotten)} secret(s) removed from the OS keyring")
        return OK
    if not args.key:
        raise BadInput("secret set needs a KEY")
    if args.key not in SECRETS:
        raise BadInput(f"unknown secret '{args.key}'; known: {', '.join(sorted(SECRETS))}")
    if sys.stdin.isatty():  # typed by a person: do not show it on the screen
        value = getpass.getpass(f"{SECRETS[args.key]} (input hidden): ")
    else:
        value = sys.stdin.readline()
    value = value.strip()  # a pasted key often brings a space or a line break along
    if not value:
        raise BadInput("no secret value on standard input")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BadInput(f"the value for {args.key} contains control characters; paste the "
                       "key alone")
    SecretStore().set(args.key, value)
    _say(f"{args.key} stored in the OS keyring")  # never echo the value
    return OK


# -- sync, queue, leads ----------------------------------------------------------------
def _sync(args) -> int:
    app = _app(args)
    if app.sync is None and app.crm_sync is None:
        raise BadInput("no phone provider or outside CRM is configured: "
                       "'frontdesk config set phone.provider simulator' (or your provider)")
    while True:
        failed = False
        if app.sync is not None:
            result = app.sync.poll()
            if result.error:
                _say(f"sync failed: {result.error}")
                failed = True
            else:
                _say(f"{result.new_calls} new call(s), {result.updated_calls} updated, "
                     f"{result.new_items} new queue item(s), {result.merged_calls} merged"
                     + (f", {len(result.alerts)} EMERGENCY alert(s)" if result.alerts else ""))
        if app.emergencies is not None:
            # Headless (a back-office PC, the desk closed for the night), emergencies are
            # still escalated to the on-call person on time. A failure here (a locked
            # database, a network error) is said and tried again next round.
            try:
                for alert in app.emergencies.escalate_due():
                    _say(f"emergency {alert.who}: {alert.status()}")
            except Exception as exc:
                logging.getLogger(__name__).exception("escalation failed")
                _say(f"emergency escalation failed, will try again: {exc}")
                failed = True
        if app.followup is not None:
            failed |= _follow_up(app)
        if app.crm_sync is not None:
            crm = app.crm_sync.poll()
            _say(f"{app.crm.label}: {crm.contacts} changed contact(s), {crm.jobs} job(s)"
                 + "".join(f"; {stream} not read: {why}" for stream, why in crm.skipped.items()))
            for stream, error in crm.errors.items():
                _say(f"{app.crm.label} {stream} sync failed: {error}")
                failed = True
        if args.once:
            return FAILURE if failed else OK
        time.sleep(app.settings["phone.poll_seconds"])


def _follow_up(app) -> bool:
    """Headless follow-up: inbound texts (opt-outs first), then the due text-backs and
    closings. True when something failed (said on stderr; tried again next round)."""
    messages = app.messages.poll()
    if messages.error:
        _say(f"reading texts failed: {messages.error}")
    elif messages.new:
        _say(f"{messages.new} text(s) received" + "".join(
            f"; {phone} opted out" for phone in messages.opted_out) + "".join(
            f"; {phone} opted back in" for phone in messages.opted_in))
    # Unclaimed-caller alerts are for a desk's screen: a headless worker leaves them.
    report = app.followup.run_due(unclaimed=False)
    if report.changed:
        _say(f"follow-up: {len(report.texted)} text-back(s) sent, {len(report.rescheduled)} "
             f"moved to an allowed time, {len(report.skipped)} skipped, {len(report.failed)} "
             f"failed, {len(report.closed)} caller(s) closed as no response")
    return bool(messages.error or report.failed)


def _deliver(args) -> int:
    app = _app(args)
    if app.delivery is None:
        _say("leads go to the built-in CRM, which saves them as they are created: "
             "nothing to deliver")
        return OK
    while True:
        report = app.delivery.run_due()
        for lead_id, why in report.failed.items():
            _say(f"lead {lead_id} not delivered: {why}")
        for alert in report.alerts:
            _say(f"ALERT: {alert}")
        if args.json and args.once:
            _emit({"delivered": report.delivered, "failed": report.failed,
                   "alerts": report.alerts, "next_attempt_at": report.next_due_at})
        elif args.once or report.delivered or report.failed:  # a quiet loop says nothing
            _say(f"{app.crm.label}: {report.summary()}")
        if args.once:
            return FAILURE if report.failed else OK
        wait = 5.0
        if report.next_due_at is not None:
            wait = min(wait, max((report.next_due_at - app.clock()).total_seconds(), 0.5))
        time.sleep(wait)


def _crm(args) -> int:
    app = _app(args)
    if args.action == "fields":
        return _crm_fields(args, app)
    if app.delivery is None:
        raise BadInput("leads go to the built-in CRM: there is nothing to retry or revert "
                       "(set crm.provider to hubspot, jobber or housecallpro)")
    if not args.target:
        raise BadInput(f"crm {args.action} needs " + ("a lead number or 'failed'"
                       if args.action == "retry" else "a change-log number (frontdesk changelog)"))
    try:
        if args.action == "retry":
            if args.target == "failed":
                count = app.delivery.retry_all_failed(app.desk_user)
                _say(f"{count} failed lead(s) will be tried again now")
                return OK
            app.delivery.retry(_number(args.target, "lead number"), app.desk_user)
            _say(f"lead {args.target} will be tried again now (frontdesk deliver --once)")
            return OK
        write = app.delivery.revert(_number(args.target, "change number"), app.desk_user)
    except PermissionError as exc:  # a scope the owner has not granted
        _say(f"refused: {exc}")
        return FAILURE
    except ValueError as exc:  # no such lead or change, or not one that can be reverted
        raise BadInput(str(exc)) from None
    _say(f"{app.crm.label} contact {write.crm_id}: put back "
         + ", ".join(f"{k} = {v!r}" for k, v in write.after.items()))
    return OK


def _crm_fields(args, app) -> int:
    from desktop.domain.crm import targets
    from desktop.domain.leads import LEAD_FIELDS
    if app.delivery is None:
        raise BadInput("leads go to the built-in CRM, which keeps every lead field as it is")
    adapter, mapping = app.delivery.crm.adapter, app.delivery.field_map
    problems = app.delivery.mapping_problems()
    document = {"crm": adapter.name, "map": {f: targets(mapping.get(f)) for f in LEAD_FIELDS},
                "required": list(adapter.required), "problems": problems}
    lines = [f"{adapter.label} field map (change with: frontdesk config set crm.field_map "
             f"'{{\"{adapter.name}\": {{\"service_type\": \"lead.title\"}}}}')"]
    lines += [f"  {f:<16} -> {', '.join(t) or '(not sent)'}" for f, t in document["map"].items()]
    lines.append(f"  required by {adapter.label}: {', '.join(adapter.required) or 'nothing'}")
    lines += [f"  PROBLEM: {p}" for p in problems]
    _show(args, document, lines)
    return FAILURE if problems else OK


def _import(args) -> int:
    from desktop.services.contact_import import (ContactImport, ImportProblem,
                                                 parse_mapping_args)
    app = _app(args)
    importer = ContactImport(app.uow, app.clock)
    region = app.settings["phone.region"]
    try:
        mapping = parse_mapping_args(args.map) if args.map else None
        if args.dry_run:
            plan = importer.preview(args.file, mapping, region)
            if args.json:
                _emit(plan.to_json())
            _say(_mapping_words(plan.mapping))
            _say(f"{plan.rows} row(s): {plan.new} would be added, {plan.duplicates} already "
                 f"contacts, {plan.rejected} rejected (dry run: nothing written)")
            for rejected in plan.first_rejected:
                _say(f"  line {rejected.line}: {rejected.reason}")
            return OK
        report = importer.run(args.file, app.desk_user, mapping, region,
                              Path(args.rejects) if args.rejects else None)
    except ImportProblem as exc:
        raise BadInput(str(exc)) from None
    if args.json:
        _emit(report.to_json())
    _say(_mapping_words(report.mapping))
    _say(f"{report.imported} contact(s) added, {report.duplicates} already known, "
         f"{len(report.rejected)} rejected ({report.seconds:.1f} s)")
    for rejected in report.rejected[:20]:
        _say(f"  line {rejected.line}: {rejected.reason}")
    if len(report.rejected) > 20:
        _say(f"  … and {len(report.rejected) - 20} more"
             + (f"; all in {report.reject_report}" if report.reject_report else
                "; write them all with --rejects FILE.csv"))
    elif report.reject_report:
        _say(f"rejected rows written to {report.reject_report}")
    return OK


def _mapping_words(mapping: dict) -> str:
    used = ", ".join(f"'{column}' -> {field}" for column, field in mapping.items() if field)
    return f"columns: {used} (change with --map 'Column=field')"


def _export(args) -> int:
    from desktop.services.contact_import import ImportProblem, export_contacts
    app = _app(args)
    try:
        count = export_contacts(app.uow, Path(args.file))
    except ImportProblem as exc:
        raise BadInput(str(exc)) from None
    _say(f"{count} contact(s) written to {args.file}")
    return OK


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise BadInput(f"'{text}' is not a {what}")
    return int(text)


def _queue(args) -> int:
    app = _app(args)
    now, target = app.clock(), app.callback_target
    rows = sorted(app.queue.open_rows(), key=lambda r: r.as_item().priority_key(now, target))
    items = [row.to_json(now, target) for row in rows]
    lines = [f"#{row.id:<5} {item['lane']:<9} {row.phone_display:<16} "
             f"{(row.display_name or 'Unknown caller')[:24]:<24} {row.calls} call(s)  "
             f"{row.outcome:<10} {row.owner or ''}" for row, item in zip(rows, items)]
    return _show(args, items, lines or ["The queue is empty."])


def _lead(args) -> int:
    app = _app(args)
    try:
        text = sys.stdin.read() if args.json_file == "-" else Path(args.json_file).read_text(
            encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise BadInput(f"no such file: {args.json_file}") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{args.json_file} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput("the lead must be a JSON object of field names to values")
    draft = LeadDraft.from_mapping(data)
    if args.action == "check":  # matches, best first; writes nothing
        _emit([match.to_json() for match in app.duplicates.check(draft.values)])
        return OK
    lead = app.leads.create(draft, app.desk_user)
    _emit(lead.to_json())
    return OK


def _leads(args) -> int:
    app = _app(args)
    leads = app.leads.all()
    return _show(args, [lead.to_json() for lead in leads],
                 [f"#{lead.id:<5} {lead.name[:24]:<24} {lead.phone:<14} "
                  f"{lead.service_type[:20]:<20} {lead.delivery_state:<9} "
                  f"{lead.crm_id or ''} {lead.last_error or ''}".rstrip() for lead in leads])


# -- change log and doctor ---------------------------------------------------------------
def _changelog(args) -> int:
    app = _app(args)
    if args.verify:
        problem = app.changelog.verify()
        if problem:
            _say(f"change log is NOT intact: {problem.message}")
            if args.json:
                _emit({"intact": False, "first_bad_seq": problem.seq, "message": problem.message})
            return FAILURE
        count = app.changelog.count()
        _say(f"change log intact: {count} entries")
        if args.json:
            _emit({"intact": True, "entries": count})
        return OK
    rows = app.changelog.rows()
    return _show(args, [row.to_json() for row in rows],
                 [f"{row.seq:>6} {row.at:%Y-%m-%d %H:%M:%S} {row.actor:<18} "
                  f"{row.entity}:{row.entity_id} {row.action} {row.reason or ''}" for row in rows])


def _triage(args) -> int:
    from desktop.services.triage import TriageService
    service = TriageService(_app(args).settings)
    if args.rules:
        rules = service.criteria.rules
        return _show(args, [{"name": r.name, "urgency": str(r.urgency), "trade": r.trade,
                             "needs": list(r.needs)} for r in rules],
                     [f"{r.urgency:<9} {r.trade:<10} {r.name}" +
                      (f" (an emergency only with {' or '.join(r.needs)})" if r.needs else "")
                      for r in rules])
    if args.text is None:
        raise BadInput("give the voicemail with --text TEXT (or --text - to read it from "
                       "standard input), or --rules to list the rules")
    if args.repeat_calls < 1:
        raise BadInput("--repeat-calls counts this call too: 1 or more")
    text = sys.stdin.read() if args.text == "-" else args.text
    result = service.assess(text, repeat_calls=args.repeat_calls, after_hours=args.after_hours)
    return _show(args, result.to_json(), [
        f"{result.urgency} (confidence {result.confidence:.2f}); caller sounds "
        f"{result.sentiment}", *(f"  - {reason}" for reason in result.reasons)])


def _optout(args) -> int:
    if args.action == "classify":
        from desktop.domain.optout import classify
        if args.text is None:
            raise BadInput("give the message with --text TEXT ('-' reads standard input)")
        text = sys.stdin.read() if args.text == "-" else args.text
        result = classify(text)
        verdict = "opt-out" if result.opt_out else "opt-in" if result.opt_in else "neither"
        return _show(args, result.to_json(), [f"{verdict} ({result.why})"])
    app = _app(args)
    if args.action == "list":
        records = app.consent.do_not_text()
        return _show(args, [{"phone": r.phone, "since": r.at.isoformat(), "source": r.source,
                             "evidence": r.evidence, "provider": r.provider} for r in records],
                     [f"{r.phone}  {r.describe()}" for r in records])
    if not args.number:
        raise BadInput(f"optout {args.action} needs a NUMBER, e.g. +13125550142")
    number = _e164(args.number, app.settings["phone.region"])
    if args.action == "check":
        verdict = app.consent.check(number)
        return _show(args, verdict, [("allowed: " if verdict["allowed"] else "NOT allowed: ")
                                     + verdict["reason"]])
    from desktop.domain.consent import ConsentStatus
    status = ConsentStatus.OPTED_OUT if args.action == "add" else ConsentStatus.OPTED_IN
    try:
        app.consent.record(number, status, _actor(app), args.reason or "")
    except ValueError as exc:
        raise BadInput(f"--reason: {exc}") from None
    _say(f"{number}: {app.consent.check(number)['reason']}")
    return OK


def _e164(text: str, region: str) -> str:
    from desktop.domain.phone import InvalidPhone, to_e164
    try:
        return to_e164(text, region)
    except InvalidPhone as exc:
        raise BadInput(f"'{text}' is not a phone number: {exc}") from None


def _preview(app, name: str = "Maria Lopez", template: str | None = None) -> str:
    from desktop.services.followup import FollowUpRules, preview_textback
    return preview_textback(FollowUpRules.from_settings(app.settings_service.load()),
                            app.clock(), name, template)


def _followup(args) -> int:
    app = _app(args)
    if args.action == "preview":
        text = _preview(app, args.name, args.template)
        return _show(args, {"text": text, "characters": len(text)}, [text])
    if app.followup is None:
        raise BadInput("no phone provider is configured, so there is no follow-up: "
                       "'frontdesk config set phone.provider ...'")
    if args.action == "plan":
        rules = app.followup.rules()
        return _show(args, {"plan": app.settings["followup.plan"],
                            "max_attempts": rules.max_attempts,
                            "textback_enabled": rules.textback_enabled},
                     [rules.plan.describe(), f"at most {rules.max_attempts} callback attempts"])
    tasks = app.followup.due_tasks(include_later=args.all)
    return _show(args, [t.to_json() for t in tasks],
                 [f"{t.due_at:%Y-%m-%d %H:%M} {t.kind:<6} item {t.item_id:<6} "
                  f"{t.caller_name or t.phone}  for {t.assignee or 'anyone'}"
                  + (f"  ({t.note})" if t.note else "") for t in tasks])


def _outcomes(args) -> int:
    from desktop.domain.outcomes import PeriodError, parse_day
    app = _app(args)
    service = app.outcomes
    try:
        if args.period:
            if args.date_from or args.date_to:
                raise BadInput("give --period or --from/--to, not both")
            period = service.named(args.period)
        else:
            today = service.today()
            first = parse_day(args.date_from, "--from") if args.date_from else today
            last = parse_day(args.date_to, "--to") if args.date_to else today
            period = service.period(first, last)
    except PeriodError as exc:
        raise BadInput(str(exc)) from None
    result = service.compute(period)
    if args.csv:
        try:
            for path in service.export_csv(result, args.csv):
                _say(f"wrote {path}")
        except ValueError as exc:
            raise BadInput(f"--csv: {exc}") from None
    document = result.to_json()

    def pct(value):
        return "—" if value is None else f"{value:.0%}"

    def minutes(value):
        return "—" if value is None else f"{value / 60:.1f} min"
    lines = [f"Outcomes {period.label()}",
             f"  inbound calls {result.inbound_calls}: answered {result.answered}, "
             f"missed {result.missed} ({', '.join(f'{k} {v}' for k, v in document['missed_by_reason'].items() if v) or 'none'}); "
             f"answer rate {pct(result.answer_rate)}",
             f"  missed callers {result.missed_callers}, reached {result.callers_reached}; "
             f"time to callback median {minutes(result.time_to_callback_median_s)}, "
             f"p90 {minutes(result.time_to_callback_p90_s)}",
             f"  leads {result.qualified_leads}: delivered {result.leads_delivered}, "
             f"failed {result.delivery_failures}; follow-up completion "
             f"{pct(result.followup_completion)}",
             f"  booked jobs {result.booked_jobs}, revenue {result.booked_revenue:,.2f}; "
             f"booking rate {pct(result.booking_rate)}"]
    lines += [f"  {name}: {row['inbound_calls']} calls, {row['qualified_leads']} leads, "
              f"{row['booked_jobs']} booked ({row['booked_revenue']:,.2f})"
              for name, row in document["by_source"].items()]
    return _show(args, document, lines)


def _doctor(args) -> int:
    from desktop.services.doctor import run_checks
    app = _app(args)
    checks = run_checks(app)
    for check in checks:
        print(f"[{'ok' if check.ok else 'PROBLEM'}] {check.name}: {check.message}")
    return OK if all(c.ok for c in checks) else FAILURE


def _actor(app) -> str:
    from desktop.domain.changelog import person
    return person(app.desk_user)


# -- parser ------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help="data folder (default: $FRONTDESK_DATA_DIR or the user's app data)")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON document")

    parser = argparse.ArgumentParser(prog="frontdesk", description="Front Desk: never lose a "
                                     "missed call. With no command, opens the desk window.")
    parser.add_argument("--data-dir", default=None, metavar="DIR", help=common._actions[0].help)
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open the desk on a throwaway data folder with the simulator line")
    parser.add_argument("--demo-history", type=_days, default=DEMO_HISTORY_DAYS, metavar="DAYS",
                        help="with --demo: days of the shop's past to live through first, "
                        f"for the Outcomes tab (default {DEMO_HISTORY_DAYS}; 0 for none)")
    parser.add_argument("--quit-after", type=float, default=None, metavar="SECONDS",
                        help=argparse.SUPPRESS)  # smoke tests and screenshots
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    config = sub.add_parser("config", parents=[common, as_json], help="list, get or set settings")
    config.add_argument("action", choices=("list", "get", "set", "export", "import"))
    config.add_argument("key", nargs="?", help="the setting (get, set) or the file (export, "
                        "import)")
    config.add_argument("value", nargs="?")
    config.set_defaults(handler=_config)

    secret = sub.add_parser("secret", parents=[common], help="store a secret in the OS keyring")
    secret.add_argument("action", choices=("set", "forget-all"))
    secret.add_argument("key", nargs="?")
    secret.set_defaults(handler=_secret)

    sync = sub.add_parser("sync", parents=[common], help="poll the phone provider")
    sync.add_argument("--once", action="store_true", help="one poll, then exit")
    sync.set_defaults(handler=_sync)

    queue = sub.add_parser("queue", parents=[common, as_json], help="open queue items")
    queue.set_defaults(handler=_queue)

    lead = sub.add_parser("lead", parents=[common], help="create a lead, or check one for "
                          "duplicates")
    lead.add_argument("action", choices=("create", "check"))
    lead.add_argument("--json", dest="json_file", required=True, metavar="FILE",
                      help="the lead as a JSON object ('-' reads standard input)")
    lead.set_defaults(handler=_lead)

    leads = sub.add_parser("leads", parents=[common, as_json], help="leads and delivery state")
    leads.set_defaults(handler=_leads)

    deliver = sub.add_parser("deliver", parents=[common, as_json],
                             help="push pending leads to the CRM")
    deliver.add_argument("--once", action="store_true",
                         help="deliver what is due now, then exit (1 if any failed)")
    deliver.set_defaults(handler=_deliver)

    crm = sub.add_parser("crm", parents=[common, as_json], help="the CRM: field map, retry a "
                         "failed lead, revert a contact update")
    crm.add_argument("action", choices=("fields", "retry", "revert"))
    crm.add_argument("target", nargs="?", default="",
                     help="retry: a lead number or 'failed'; revert: a change-log number")
    crm.set_defaults(handler=_crm)

    importer = sub.add_parser("import", parents=[common, as_json],
                              help="customers from a CSV file into the contact list")
    importer.add_argument("what", choices=("contacts",))
    importer.add_argument("file", metavar="FILE.csv")
    importer.add_argument("--map", action="append", metavar="COLUMN=FIELD", default=[],
                          help="which column is which field (name, first_name, last_name, "
                          "phone, email, address, city, state, zip; empty = ignore); "
                          "columns are recognised by their headings otherwise")
    importer.add_argument("--dry-run", action="store_true",
                          help="show the column mapping and what would happen; write nothing")
    importer.add_argument("--rejects", metavar="OUT.csv",
                          help="write the rejected rows, with the reason, to this file")
    importer.set_defaults(handler=_import)

    exporter = sub.add_parser("export", parents=[common], help="contacts to a CSV file")
    exporter.add_argument("what", choices=("contacts",))
    exporter.add_argument("file", metavar="FILE.csv")
    exporter.set_defaults(handler=_export)

    changelog = sub.add_parser("changelog", parents=[common, as_json],
                               help="print or verify the change log")
    changelog.add_argument("--verify", action="store_true",
                           help="check the hash chain; exit 1 naming the first bad entry")
    changelog.set_defaults(handler=_changelog)

    triage = sub.add_parser("triage", parents=[common, as_json],
                            help="how urgent a voicemail is, by the shop's triage rules")
    triage.add_argument("--text", help="the voicemail transcript ('-' reads standard input)")
    triage.add_argument("--repeat-calls", type=int, default=1, metavar="N",
                        help="calls from the number in the last 30 minutes, this one included")
    triage.add_argument("--after-hours", action="store_true", help="the shop was closed")
    triage.add_argument("--rules", action="store_true", help="list the rules in force")
    triage.set_defaults(handler=_triage)

    optout = sub.add_parser("optout", parents=[common, as_json],
                            help="is an inbound text an opt-out (STOP...) or an opt-in (START)?")
    optout.add_argument("action", choices=("classify", "check", "list", "add", "remove"),
                        help="classify a text; check a number; list the do-not-text list; "
                        "add or remove a number a customer asked about in person")
    optout.add_argument("number", nargs="?", help="the phone number (check, add, remove)")
    optout.add_argument("--text", help="classify: the inbound message ('-' reads stdin)")
    optout.add_argument("--reason", help="add/remove: what the customer asked, in words")
    optout.set_defaults(handler=_optout)

    followup = sub.add_parser("followup", parents=[common, as_json],
                              help="follow-up tasks due now, the plan, the text-back preview")
    followup.add_argument("action", choices=("due", "plan", "preview"))
    followup.add_argument("--all", action="store_true", help="due: every pending task, "
                          "also those due later")
    followup.add_argument("--name", default="Maria Lopez",
                          help="preview: the caller's name to greet")
    followup.add_argument("--template", help="preview: a template to try instead of the "
                          "approved one")
    followup.set_defaults(handler=_followup)

    owner = sub.add_parser("owner", parents=[common],
                           help="set or change the owner passcode (read from standard input)")
    owner.add_argument("action", choices=("passcode",))
    owner.set_defaults(handler=_owner)

    outcomes = sub.add_parser("outcomes", parents=[common, as_json],
                              help="the owner's metrics for a period (local days)")
    outcomes.add_argument("--from", dest="date_from", metavar="DATE",
                          help="first day, e.g. 2026-11-01 (default: today)")
    outcomes.add_argument("--to", dest="date_to", metavar="DATE",
                          help="last day, included (default: today)")
    outcomes.add_argument("--period", help="instead of dates: today, yesterday, this_week, "
                          "last_7_days, last_30_days, this_month, last_month, this_year")
    outcomes.add_argument("--csv", metavar="FOLDER", help="also write the metrics, calls "
                          "and leads of the period as CSV files into FOLDER")
    outcomes.set_defaults(handler=_outcomes)

    doctor = sub.add_parser("doctor", parents=[common], help="check settings, keyring, "
                            "database and connectors")
    doctor.set_defaults(handler=_doctor)
    return parser
