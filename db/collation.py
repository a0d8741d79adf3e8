"""The order of people's names: Vietnamese alphabetical by given name, kept as a plain-ASCII key a database sorts.

A database sorts text by code point (SQLite) or by its server's locale (PostgreSQL), and neither knows that
Đ follows D or that "Ông" belongs among the O's: in code-point order every name starting with an accented
capital came after "Vũ". The key folds case and tone marks, writes đ as "dz" (after every other D), and is
stored beside the name (`cadres.name_key`) with a byte-order collation, so a page of ten in SQL is the same
page a Python sort would give.
"""

from __future__ import annotations

import unicodedata


def without_marks(text: str) -> str:
    """Combining marks removed: 'Lý luận' -> 'Ly luan' (đ/Đ are letters, not marks, and stay)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def name_key(full_name: str) -> str:
    """'Đỗ  Thị Mai' -> 'mai dzo thi': Vietnamese lists go by the given name (the last word), then the family and
    middle names; tone marks aside."""
    words = unicodedata.normalize("NFC", full_name).casefold().split()
    return without_marks(" ".join(words[-1:] + words[:-1])).replace("đ", "dz")
