"""The station-config contract seen from both sides: the kiosk's allow-list (kiosk.remote_config)
must accept exactly what the server's published JSON Schema describes, field by field, with
the same defaults and ranges. The two are separate code on purpose (central shares nothing
with the kiosk but the HTTP contract), so this test is what keeps them in step."""

from __future__ import annotations

from typing import Any

import httpx
from sync_helpers import Central

from kiosk.remote_config import StationConfig

KEYWORDS = ("type", "default", "minimum", "maximum", "maxLength", "pattern", "enum")


def _flatten(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> dict[str, dict]:
    """field path -> the constraint keywords that matter, with $refs and nullables resolved."""
    out: dict[str, dict] = {}
    for name, prop in schema.get("properties", {}).items():
        if "$ref" in prop:
            out |= _flatten(defs[prop["$ref"].rsplit("/", 1)[-1]], defs, f"{prefix}{name}.")
            continue
        variants = prop.get("anyOf", [prop])
        merged = {k: v for v in variants for k, v in v.items() if k in KEYWORDS and v != "null"}
        if "default" in prop:
            merged["default"] = prop["default"]
        if "const" in prop or "enum" in prop:
            merged["enum"] = sorted(prop.get("enum", [prop.get("const")]))
        out[prefix + name] = merged
    return out


def test_kiosk_allow_list_matches_the_servers_schema(central: Central) -> None:
    served = httpx.get(f"{central.base_url}/v1/schema/station-config", timeout=10).json()
    ours = StationConfig.model_json_schema()
    theirs_fields = _flatten(served, served.get("$defs", {}))
    ours_fields = _flatten(ours, ours.get("$defs", {}))
    assert set(ours_fields) == set(theirs_fields)
    assert len(ours_fields) >= 14  # the allow-list, features expanded
    for field, constraints in theirs_fields.items():
        assert ours_fields[field] == constraints, field
