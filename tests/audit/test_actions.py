"""One registry of audit action codes: every code the apps write is in it, labelled in Chinese, past tense."""

import ast
import re
from pathlib import Path

import pytest

from sunshine.audit import actions
from sunshine.audit.actions import ACTIONS, LEGACY, UnregisteredAction, action_label, check_action
from sunshine.audit.models import AuditEvent
from sunshine.audit.services import audit_record, audit_record_many, build_event
from villages.models import Membership, Role
from villages.services import membership_grant

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("sunshine", "villages", "disclosures", "complaints", "portal")
CJK = re.compile(r"[\u4e00-\u9fff]")
# object.past_tense: the object in snake case, then what happened to it as a past participle, optionally
# qualified (township_approved, entries_replaced) or with a particle (taken_down).
IRREGULAR_PARTICIPLES = "set|taken|sent|made|done|written|shown|read|run|held|kept|paid|put|seen|told|undone"
CODE_FORM = re.compile(
    rf"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.(?:[a-z]+_)*(?:[a-z]+ed|{IRREGULAR_PARTICIPLES})(?:_(?:down|up|out|off|back))?$"
)
NOT_AUDIT_CALLS = {"add_argument"}  # argparse's action="store_true" in management commands
QUOTED_CODE = re.compile(r"'([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)'")


# --------------------------------------------------------------------------- the scanner of app code


CODE_PARAMETERS = {"action", "action_code", "audit", "audit_code"}  # and any name ending in _action


def _is_action_keyword(name):
    return name in CODE_PARAMETERS or (name or "").endswith("_action")


def _string_values(node, dicts):
    """The code strings an expression can evaluate to: literals, both arms of ``a if c else b``, the values of
    a module-level dict it subscripts (``AUDIT_ACTIONS[name]``), and f-strings as ``re.Pattern``s."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _string_values(node.body, dicts) + _string_values(node.orelse, dicts)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return list(dicts.get(node.value.id, ()))
    if isinstance(node, ast.JoinedStr):
        parts = [re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z0-9_]+" for part in node.values]
        return [re.compile("^" + "".join(parts) + "$")]
    return []


def _module_dicts(tree):
    """Module-level ``NAME = {...}`` dicts → their string values."""
    dicts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            values = [v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    dicts[target.id] = values
    return dicts


def _action_positions(tree):
    """Functions of this module with a code parameter (``action`` …) → its position (calls may pass it by position)."""
    positions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            coded = [index for index, name in enumerate(names) if _is_action_keyword(name)]
            if coded:
                positions[node.name] = coded[0]
    return positions


def _callee(call):
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def codes_in_source(source):
    """Every audit code (or f-string pattern) ``source`` writes: ``action=``/``*_action=`` keywords, an
    ``action`` parameter passed by position, and quoted codes in SQL that inserts into the audit table."""
    tree = ast.parse(source)
    dicts, positions = _module_dicts(tree), _action_positions(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) not in NOT_AUDIT_CALLS:
            for keyword in node.keywords:
                if _is_action_keyword(keyword.arg):
                    found += _string_values(keyword.value, dicts)
            index = positions.get(_callee(node))
            if index is not None and index < len(node.args):
                found += _string_values(node.args[index], dicts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "audit_auditevent" in node.value:
            found += QUOTED_CODE.findall(node.value)
    return found


def app_sources():
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def written_codes():
    """``[(path, code or pattern)]`` over all app code."""
    return [
        (path.relative_to(ROOT), code)
        for path in app_sources()
        for code in codes_in_source(path.read_text(encoding="utf-8"))
    ]


def _registered(code):
    if isinstance(code, re.Pattern):
        return any(code.match(registered) for registered in ACTIONS)
    return code in ACTIONS


# --------------------------------------------------------------------------- the scanner finds what it must


def test_the_scanner_finds_codes_in_every_form_services_write_them():
    source = '''
MOVES = {"submit": "thing.submitted", "return": "thing.returned"}
SQL = """INSERT INTO audit_auditevent (action) SELECT 'thing.escalated' FROM due"""

def _save(obj, actor, action, fields):
    audit_record(actor=actor, action=action, obj=obj)

def service(obj, actor, name, created):
    audit_record(actor=actor, action="thing.created" if created else "thing.changed", obj=obj)
    _save(obj, actor, "thing.started", [])
    build_event(actor=actor, action=MOVES[name])
    Move(name="close", audit_action="thing.closed")
    Move(name="reopen", audit="thing.reopened")
    parser.add_argument("--dry-run", action="store_true")
    audit_record(actor=actor, action=f"thing.{name}_done")
'''
    found = codes_in_source(source)
    patterns = [c for c in found if isinstance(c, re.Pattern)]
    assert sorted(c for c in found if isinstance(c, str)) == [
        "thing.changed",
        "thing.closed",
        "thing.created",
        "thing.escalated",
        "thing.reopened",
        "thing.returned",
        "thing.started",
        "thing.submitted",
    ]
    assert len(patterns) == 1 and patterns[0].match("thing.submit_done") and not patterns[0].match("other.x_done")


def test_the_scan_of_app_code_sees_the_services():
    """A scanner that finds nothing would pass the next test vacuously."""
    codes = {code for _path, code in written_codes() if isinstance(code, str)}
    assert len(codes) >= 25
    assert {"membership.granted", "revision.entries_replaced", "roster_import.uploaded"} <= codes


# --------------------------------------------------------------------------- the registry


def test_every_code_app_code_writes_is_registered():
    codes = written_codes()
    unregistered = [f"{path}: {getattr(code, 'pattern', code)}" for path, code in codes if not _registered(code)]
    assert unregistered == []


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_every_registered_code_has_a_chinese_label(code):
    label = str(action_label(code))
    assert label != code and CJK.search(label), f"{code} has no Chinese label"


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_codes_are_object_dot_past_tense(code):
    assert CODE_FORM.match(code), f"{code} is not <object>.<past tense>"


@pytest.mark.parametrize("bad", ["disclosure.submit", "complaint.escalate", "Disclosure.submitted", "submitted"])
def test_the_code_form_refuses_other_forms(bad):
    assert not CODE_FORM.match(bad)


def test_legacy_codes_are_shown_with_the_label_of_their_replacement_and_never_written():
    for old, new in LEGACY.items():
        assert new in ACTIONS and old not in ACTIONS
        assert action_label(old) == ACTIONS[new]
        with pytest.raises(UnregisteredAction):
            check_action(old)


# --------------------------------------------------------------------------- writing an unregistered code


def test_audit_record_refuses_an_unregistered_code(world, county_admin):
    with pytest.raises(UnregisteredAction):
        audit_record(actor=county_admin, action="division.renamed", obj=world.v1)
    with pytest.raises(UnregisteredAction):
        audit_record_many([build_event(actor=county_admin, action="disclosure.submit", obj=world.v1)])
    assert not AuditEvent.objects.exists()


def test_a_service_writing_an_unregistered_code_raises_and_changes_nothing(world, county_admin, monkeypatch):
    from tests.factories import UserFactory

    monkeypatch.delitem(actions.ACTIONS, "membership.granted")
    user = UserFactory(username="newclerk")
    with pytest.raises(UnregisteredAction):
        membership_grant(actor=county_admin, user=user, division=world.v1, role=Role.VILLAGE_CLERK)
    assert not Membership.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action="membership.granted").exists()


# --------------------------------------------------------------------------- the public complaint timeline


def test_the_public_complaint_timeline_takes_its_labels_from_the_registry():
    from complaints.views import EVENT_LABELS

    assert EVENT_LABELS, "the public timeline shows some moves"
    for code, label in EVENT_LABELS.items():
        assert label == ACTIONS[code]
    # what stays among staff: who looked at the complainant's identity, exports, publicity edits
    assert not {"complaint.identity_revealed", "complaint.exported", "complaint.publicity_set"} & set(EVENT_LABELS)
