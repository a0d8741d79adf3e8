"""The indicator rules file: loaded and validated at start; adding a rule needs no code."""

from __future__ import annotations

import pytest

from domain.rules import RULES_FILE, RuleError, load_rules, parse_rules

BASE = RULES_FILE.read_text(encoding="utf-8")
GOOD = """
[[indicator]]
id = "X"
title = "t"
ref = "Mục II"
deadline = 2030-12-31
target_pct = 50
requirement = "r"
explanation = "e"
population = {}
condition = { field = "education", at_least = "Thạc sĩ" }
"""


def test_project_rules_load_with_eleven_indicators() -> None:
    rules = load_rules()
    assert len(rules.indicators) == 11
    assert rules.indicator("BTV_MASTERS").target_pct == 68
    assert rules.kinds_closing(rules.indicator("CO_QUAN_LLCT_TRUNG_CAP")) == ["LLCT_CAO_CAP", "LLCT_TRUNG_CAP"]
    assert rules.kinds_closing(rules.indicator("XA_CHU_CHOT_LLCT_CAO_CAP")) == ["LLCT_CAO_CAP"]
    assert rules.kinds_closing(rules.indicator("TRAINED_DIGITAL_AI")) == ["CDS_AI"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('target_pct = 50', 'target_pct = 150'), "indicator 'X'.target_pct"),
        (('target_pct = 50', 'target_pct = "lots"'), "indicator 'X'.target_pct"),
        (('deadline = 2030-12-31', 'deadline = "next year"'), "indicator 'X'.deadline"),
        (('at_least = "Thạc sĩ"', 'at_least = "Giáo sư"'), "indicator 'X'.condition.at_least"),
        (('field = "education"', 'field = "height"'), "indicator 'X'.condition.field"),
        (("population = {}", 'population = { rank = ["A"] }'), "indicator 'X'.population"),
        (("population = {}", "population = { is_leader = 1 }"), "indicator 'X'.population.is_leader"),
        (('ref = "Mục II"', 'ref = ""'), "indicator 'X'.ref"),
        (('title = "t"', 'titel = "t"'), "indicator 'X'"),
    ],
)
def test_malformed_rule_names_rule_and_field(change: tuple[str, str], message: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse_rules(GOOD.replace(*change))
    assert message in str(exc.value)


def test_duplicate_ids_refused() -> None:
    with pytest.raises(RuleError, match="trùng id"):
        parse_rules(GOOD + GOOD)


def test_extra_rule_is_just_data() -> None:
    rules = parse_rules(BASE + GOOD.replace('id = "X"', 'id = "ALL_MASTERS"'))
    assert rules.indicators[-1].id == "ALL_MASTERS"
    assert rules.kinds_closing(rules.indicators[-1]) == ["THAC_SI"]


def test_cli_refuses_to_start_on_a_malformed_rules_file(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot import cli
    from domain import rules

    bad = tmp_path / "indicators.toml"
    bad.write_text(GOOD.replace("target_pct = 50", "target_pct = 500"), encoding="utf-8")
    monkeypatch.setattr(cli, "default_rules", lambda: rules.load_rules(bad))
    assert cli.main(["migrate"]) == 2
    assert "indicator 'X'.target_pct" in capsys.readouterr().err
