"""The ordered qualification scales of domain.md §1 and the other enumerations.

Levels are stored as small integers so that "at least X" is a plain SQL comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.text import ascii_key, fold


@dataclass(frozen=True)
class Scale:
    """An ordered list of labels; `codes` are stored, `ranks` decide comparisons."""

    name: str
    labels: tuple[str, ...]
    ranks: tuple[int, ...]

    def code_of(self, raw: object) -> int | None:
        """The stored code for a label typed any way (case, spaces, NFD, missing accents)."""
        key = fold(raw)
        for code, label in enumerate(self.labels):
            if fold(label) == key:
                return code
        loose = ascii_key(raw)
        matches = [c for c, label in enumerate(self.labels) if ascii_key(label) == loose]
        return matches[0] if len(matches) == 1 else None

    def label(self, code: int) -> str:
        return self.labels[code]

    def describe(self, code: int) -> str:
        """The scale's name and the level: "Lý luận chính trị: Cao cấp"."""
        return f"{self.name}: {self.labels[code]}"

    def min_code_at_least(self, label: str) -> int:
        """Smallest stored code whose rank reaches `label`'s rank ("Cao cấp trở lên" includes Cử nhân)."""
        code = self.code_of(label)
        if code is None:
            raise ValueError(f"{self.name}: không có mức {label!r}")
        rank = self.ranks[code]
        return min(c for c, r in enumerate(self.ranks) if r >= rank)

    def meets(self, code: int, label: str) -> bool:
        return self.ranks[code] >= self.ranks[self.min_code_at_least(label)]


EDUCATION = Scale("Trình độ chuyên môn", ("Trung cấp", "Cao đẳng", "Đại học", "Thạc sĩ", "Tiến sĩ"), (0, 1, 2, 3, 4))
# Cử nhân chính trị ranks with Cao cấp: "cao cấp trở lên" includes it.
POLITICAL_THEORY = Scale(
    "Lý luận chính trị", ("Chưa", "Sơ cấp", "Trung cấp", "Cao cấp", "Cử nhân"), (0, 1, 2, 3, 3)
)
STATE_MANAGEMENT = Scale(
    "Quản lý nhà nước", ("Chưa", "Chuyên viên", "Chuyên viên chính", "Chuyên viên cao cấp"), (0, 1, 2, 3)
)

SCALES = {"education": EDUCATION, "political_theory": POLITICAL_THEORY, "state_management": STATE_MANAGEMENT}

TITLE_GROUPS = {
    "BT_XA": "Bí thư cấp xã",
    "PBT_XA": "Phó Bí thư cấp xã",
    "CT_HDND_XA": "Chủ tịch HĐND cấp xã",
    "CT_UBND_XA": "Chủ tịch UBND cấp xã",
    "PCT_HDND_XA": "Phó Chủ tịch HĐND cấp xã",
    "PCT_UBND_XA": "Phó Chủ tịch UBND cấp xã",
    "KHAC": "Chức danh khác",
}
MANAGED_BY = {"BTV": "Diện Ban Thường vụ Tỉnh ủy quản lý", "CO_QUAN": "Diện sở, ngành, cơ quan, đơn vị quản lý"}
UNIT_LEVELS = ("Tỉnh", "Xã")
GENDERS = ("Nam", "Nữ")

# Training columns of the roster: stored attribute -> Vietnamese label.
TRAININGS = {
    "trained_job_position": "Bồi dưỡng theo vị trí việc làm",
    "trained_digital_ai": "Bồi dưỡng chuyển đổi số, kỹ năng số, AI",
    "trained_two_tier_gov": "Bồi dưỡng vận hành chính quyền địa phương 2 cấp",
    "trained_planned_title": "Bồi dưỡng theo chức danh quy hoạch",
    "retrained_specialty": "Đào tạo chuyên môn phù hợp vị trí việc làm",
}


def match_choice(raw: object, choices: tuple[str, ...] | list[str]) -> str | None:
    """The canonical spelling of `raw` among `choices`, matched loosely, or None."""
    key = fold(raw)
    for choice in choices:
        if fold(choice) == key:
            return choice
    loose = [c for c in choices if ascii_key(c) == ascii_key(raw)]
    return loose[0] if len(loose) == 1 else None
