"""Numbers as a reader sees them, rounded half away from zero on their decimal digits.

Python rounds the binary float: 1.845 is stored as 1.84499… and prints 1.84, while the same mean
summed in another order (1.8450000000000002) prints 1.85, so a value read back from a table's CSV
and the value computed in memory could print differently in one report. The tables' CSVs hold
SIGNIFICANT digits (CSV_FORMAT), which drops the float's noise and keeps every digit a report
shows and more; rounding that same text half away from zero makes both print 1.85, as a reader
rounds."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

SIGNIFICANT = 12
CSV_FORMAT = f"%.{SIGNIFICANT}g"


def fixed(x: float, decimals: int = 2, signed: bool = False) -> str:
    """x with `decimals` digits after the point ('+' before a positive one when signed); NaN and
    infinities as Python prints them."""
    sign = "+" if signed else ""
    if not math.isfinite(x):
        return f"{x:{sign}.{decimals}f}"
    # the CSVs' digits, or more where the integer part and the decimals shown need them
    digits = max(SIGNIFICANT, len(str(int(abs(x)))) + decimals + 3)
    with localcontext(rounding=ROUND_HALF_UP):
        return format(Decimal(f"{float(x):.{digits}g}"), f"{sign}.{decimals}f")


def signed(x: float, decimals: int = 2) -> str:
    """A difference: fixed() with its sign, '+0.25' or '-0.25'."""
    return fixed(x, decimals, signed=True)
