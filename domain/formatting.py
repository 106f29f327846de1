"""German wording for what a person reads: counts with the right number ("1 Angabe", "2 Angaben").

Pure functions; dates, times and numbers in German form join them here.
"""

from __future__ import annotations


def count(n: int, one: str, many: str) -> str:
    """``n`` with the noun in singular or plural: ``count(1, "Angabe", "Angaben")`` → "1 Angabe"."""
    return f"{n} {one if n == 1 else many}"
