"""What a reader may see of a record: fields by disclosure level (社会公开 / 政务共享 / 不公开)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from transport_credit.catalog.schema import CategoryDef

Audience = Literal["public", "government"]


def visible_data(category: CategoryDef, data: Mapping[str, Any], audience: Audience) -> dict[str, Any]:
    """The stored values a reader may see, keyed by the Chinese field name. Never includes 不公开 fields.

    Personal identifiers are stored masked, so even a visible 证件号码 is only its masked form.
    """
    levels = {"public"} if audience == "public" else {"public", "shared"}
    out: dict[str, Any] = {}
    for f in category.fields:
        if f.disclosure in levels and data.get(f.key) is not None:
            out[f.name] = data[f.key]
    return out
