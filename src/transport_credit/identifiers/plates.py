"""机动车号牌 (Chinese vehicle plate numbers), after GA 36.

Shapes accepted (province abbreviation 省份简称 + issuing-authority letter 发牌机关代号 + serial):

- ordinary (普通): 5 serial characters from digits and letters without I and O — ``豫A12345``, ``京AB123C``
- new energy (新能源, 6 serial characters): small cars ``D``/``F`` (or, since the serial space was extended,
  ``A B C E`` / ``G H J K``) then a letter or digit and 4 digits — ``豫AD12345``; large vehicles 5 digits then
  ``D``/``F`` — ``豫A12345D``
- 4 serial characters plus a suffix: 挂 (trailer), 学 (driving school), 警 (police), and 港/澳 (cross-border, only
  with ``粤Z``) — ``豫A1234挂``, ``粤Z1234港``

This is a plausibility check for imported records, not a registry look-up: a ``valid`` plate may not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from transport_credit.identifiers.normalize import normalize_code

# The 31 mainland province-level abbreviations used on plates.
PROVINCE_ABBREVIATIONS: Final = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"
_SERIAL: Final = "[A-HJ-NP-Z0-9]"  # letters I and O are not used in serials
_AUTHORITY: Final = "[A-HJ-Z]"  # 发牌机关代号 (O is used for police/judicial plates in some provinces)
_PREFIX: Final = f"[{PROVINCE_ABBREVIATIONS}]{_AUTHORITY}"
_SEPARATORS_RE: Final = re.compile("[·•・.\\-]")  # 豫A·12345

PlateKind = Literal["ordinary", "new_energy_small", "new_energy_large", "suffix"]
PlateStatus = Literal["valid", "malformed"]

_PATTERNS: Final[tuple[tuple[PlateKind, re.Pattern[str]], ...]] = (
    ("ordinary", re.compile(f"{_PREFIX}{_SERIAL}{{5}}")),
    ("new_energy_small", re.compile(f"{_PREFIX}[DABCEFGHJK]{_SERIAL}[0-9]{{4}}")),
    ("new_energy_large", re.compile(f"{_PREFIX}[0-9]{{5}}[DF]")),
    ("suffix", re.compile(f"{_PREFIX}{_SERIAL}{{4}}[挂学警]")),
    ("suffix", re.compile(f"粤Z{_SERIAL}{{4}}[港澳]")),
)


@dataclass(frozen=True)
class PlateCheck:
    normalized: str
    status: PlateStatus
    kind: PlateKind | None
    message: str


def normalize_plate(raw: str) -> str:
    """Full-width to half-width, no whitespace or separator dots, upper case: ``豫a·1234５`` → ``豫A12345``."""
    return _SEPARATORS_RE.sub("", normalize_code(raw))


def check_plate(raw: str) -> PlateCheck:
    """Normalise and check a plate number's shape. Never raises for bad input."""
    plate = normalize_plate(raw)
    for kind, pattern in _PATTERNS:
        if pattern.fullmatch(plate):
            return PlateCheck(plate, "valid", kind, "号牌号码格式正确")
    return PlateCheck(plate, "malformed", None, f"号牌号码格式不正确：{plate or '（空）'}")
