"""Vietnamese text normalisation shared by the importer and the knowledge module."""

from __future__ import annotations

import re
import unicodedata

from db.collation import name_key, without_marks

_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """NFC, collapsed inner whitespace, stripped ends. None becomes ''."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return _SPACES.sub(" ", text).strip()


def fold(value: object) -> str:
    """clean() plus case folding: the key for matching values regardless of case."""
    return clean(value).casefold()


def strip_diacritics(text: str) -> str:
    """'Lý luận chính trị' -> 'Ly luan chinh tri'; đ/Đ become d/D (they are not combining marks)."""
    return without_marks(text).replace("đ", "d").replace("Đ", "D")


def ascii_key(value: object) -> str:
    """Folded and without diacritics: the loosest key, for people typing without accents."""
    return strip_diacritics(fold(value))


def name_order(full_name: str) -> str:
    """Sort key for Vietnamese names (db.collation.name_key): by given name, then family and middle names; Đ right
    after D, as in the alphabet ("Dũng" < "Đức" < "Hải"), tone marks aside; in code-point order Đ came after "Vũ"."""
    return f"{name_key(full_name)}\x00{full_name}"


def same_name(written: str, recorded: str) -> bool:
    """A name written on a sheet matches the record with accents, case and spacing folded ("hoang  thi yen"):
    a sheet's "Họ và tên" catches a mistyped code that names someone else."""
    return ascii_key(written).split() == ascii_key(recorded).split()
