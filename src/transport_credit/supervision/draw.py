"""The 双随机 draw as pure functions: stratified allocation by grade, subject sampling, inspector assignment.

Everything random comes from one ``random.Random`` seeded with SHA-256(seed ‖ canonical inputs), and every input
is sorted first, so the same seed and inputs always give the same draw — anyone holding the stored inputs can
re-run it (:func:`draw`) and compare.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

UNGRADED = "未评价"


class DrawError(ValueError):
    """The draw cannot be made (e.g. too few inspectors free of conflicts)."""


@dataclass(frozen=True)
class DrawInputs:
    size: int
    inspectors_per_subject: int
    grades: Sequence[str]  # stratum order (best grade first, then 未评价)
    ratios: Mapping[str, float]  # stratum → ratio
    population: Sequence[tuple[int, str]]  # (subject id, stratum)
    inspectors: Sequence[int]
    conflicts: Sequence[tuple[int, int]]  # (inspector id, subject id) pairs that must not meet

    def canonical(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "inspectors_per_subject": self.inspectors_per_subject,
            "grades": list(self.grades),
            "ratios": {k: self.ratios[k] for k in sorted(self.ratios)},
            "population": sorted([int(s), g] for s, g in self.population),
            "inspectors": sorted(int(i) for i in self.inspectors),
            "conflicts": sorted([int(i), int(s)] for i, s in self.conflicts),
        }

    def sha256(self) -> str:
        return hashlib.sha256(orjson.dumps(self.canonical(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    @staticmethod
    def from_canonical(data: Mapping[str, Any]) -> DrawInputs:
        return DrawInputs(
            size=int(data["size"]),
            inspectors_per_subject=int(data["inspectors_per_subject"]),
            grades=list(data["grades"]),
            ratios=dict(data["ratios"]),
            population=[(int(s), str(g)) for s, g in data["population"]],
            inspectors=[int(i) for i in data["inspectors"]],
            conflicts=[(int(i), int(s)) for i, s in data["conflicts"]],
        )


@dataclass(frozen=True)
class DrawnItem:
    position: int
    subject_id: int
    stratum: str
    inspector_ids: tuple[int, ...]


def allocate(size: int, counts: Mapping[str, int], ratios: Mapping[str, float], order: Sequence[str]) -> dict[str, int]:
    """How many subjects to draw from each stratum: proportional to (stratum size × policy ratio), largest
    remainder, never more than a stratum holds; what a full stratum cannot take goes to the others."""
    total = sum(counts.get(g, 0) for g in order)
    size = min(size, total)
    alloc = dict.fromkeys(order, 0)
    remaining = size
    open_ = [g for g in order if counts.get(g, 0) > 0]
    while remaining > 0 and open_:
        weights = {g: counts[g] * ratios.get(g, 0.0) for g in open_}
        if sum(weights.values()) <= 0:
            weights = {g: float(counts[g] - alloc[g]) for g in open_}
        wsum = sum(weights.values())
        shares = {g: remaining * weights[g] / wsum for g in open_}
        give = {g: min(int(shares[g]), counts[g] - alloc[g]) for g in open_}
        left = remaining - sum(give.values())
        # largest remainders first; ties in stratum order
        for g in sorted(open_, key=lambda g: (-(shares[g] - int(shares[g])), order.index(g))):
            if left <= 0:
                break
            if give[g] < counts[g] - alloc[g]:
                give[g] += 1
                left -= 1
        for g in open_:
            alloc[g] += give[g]
        remaining = size - sum(alloc.values())
        open_ = [g for g in open_ if alloc[g] < counts[g]]
        if sum(give.values()) == 0:
            # nothing could be placed by weight: fill in stratum order
            for g in open_:
                take = min(remaining, counts[g] - alloc[g])
                alloc[g] += take
                remaining -= take
            break
    return alloc


def draw(inputs: DrawInputs, seed: str) -> tuple[dict[str, int], list[DrawnItem]]:
    """The allocation per stratum and the drawn subjects with their inspectors."""
    if inputs.size < 1:
        raise DrawError("抽查数量应大于0")
    rng = random.Random(hashlib.sha256(f"{seed}|{inputs.sha256()}".encode()).digest())
    strata: dict[str, list[int]] = {g: [] for g in inputs.grades}
    for subject_id, grade in sorted(inputs.population):
        strata.setdefault(grade, []).append(subject_id)
    order = list(inputs.grades) + [g for g in strata if g not in inputs.grades]
    counts = {g: len(strata[g]) for g in order}
    alloc = allocate(inputs.size, counts, inputs.ratios, order)
    chosen: list[tuple[int, str]] = []
    for g in order:
        for sid in sorted(rng.sample(strata[g], alloc[g])):
            chosen.append((sid, g))
    rng.shuffle(chosen)  # the order of visits is random too
    conflicts = {(i, s) for i, s in inputs.conflicts}
    pool = sorted(set(inputs.inspectors))
    load = dict.fromkeys(pool, 0)
    items: list[DrawnItem] = []
    k = inputs.inspectors_per_subject
    for pos, (sid, g) in enumerate(chosen, start=1):
        eligible = [i for i in pool if (i, sid) not in conflicts]
        if len(eligible) < k:
            raise DrawError(f"无利害关系的执法人员不足：第{pos}个检查对象只有{len(eligible)}名可选，需要{k}名")
        rng.shuffle(eligible)
        eligible.sort(key=lambda i: load[i])  # stable: random among the least loaded
        picked = tuple(sorted(eligible[:k]))
        for i in picked:
            load[i] += 1
        items.append(DrawnItem(pos, sid, g, picked))
    return alloc, items
