"""Delegating reviews (handlers/delegation.py): `dlg:list|new|type`, `dlg:pick:<code>`,
`dlg:per|ok:<code>:<preset>`, `dlg:rv|rvok:<delegation id>`. Dates are computed when pressed."""

from __future__ import annotations

from typing import NamedTuple

from domain.evaluation.delegation import PRESETS
from views.callbacks.base import code, join, number, pattern, split

PREFIX = "dlg"
PATTERN = pattern(PREFIX)
PLAIN = frozenset({"list", "new", "type"})
WITH_PRESET = frozenset({"per", "ok"})  # choose the period; confirm
REVOKE = frozenset({"rv", "rvok"})  # ask; confirmed


class DelegationPress(NamedTuple):
    verb: str
    code: str = ""  # the deputy's cadre code
    preset: str = ""  # a key of domain.evaluation.delegation.PRESETS
    delegation_id: int = 0


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def pick(deputy_code: str) -> str:
    return join(PREFIX, "pick", deputy_code)


def with_preset(verb: str, deputy_code: str, preset: str) -> str:
    assert verb in WITH_PRESET and preset in PRESETS, (verb, preset)
    return join(PREFIX, verb, deputy_code, preset)


def revoke(verb: str, delegation_id: int) -> str:
    assert verb in REVOKE, verb
    return join(PREFIX, verb, delegation_id)


def parse(data: str) -> DelegationPress | None:
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return DelegationPress(verb)
        case ["pick", raw] if code(raw):
            return DelegationPress("pick", raw)
        case [verb, raw, preset] if verb in WITH_PRESET and code(raw) and preset in PRESETS:
            return DelegationPress(verb, raw, preset)
        case [verb, raw] if verb in REVOKE and (delegation_id := number(raw)) is not None:
            return DelegationPress(verb, delegation_id=delegation_id)
    return None
