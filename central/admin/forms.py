"""Turning HTML form posts into validated models, with messages keyed by field name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from central.station_config import FEATURES, FIELDS

_ZH = {
    "less_than_equal": "不能大于 {le}",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "string_too_long": "最多 {max_length} 个字",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对",
    "int_parsing": "请填整数",
    "float_parsing": "请填数字",
    "date_from_datetime_parsing": "请填日期",
    "literal_error": "不是可选的值",
    "extra_forbidden": "不允许的字段",
    "missing": "必填",
}


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    """{field: "中文 / English"} for the first problem of each field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc) if loc else "__all__"
        english = err["msg"].removeprefix("Value error, ")
        zh = _ZH.get(err["type"], "")
        if zh:
            try:
                zh = zh.format(**err.get("ctx", {}))
            except (KeyError, IndexError):
                pass
        out.setdefault(key, f"{zh} / {english}" if zh else english)
    return out


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, errors_by_field(exc)


def config_from_form(form: dict[str, str]) -> dict[str, Any]:
    """Blank fields inherit (are left out); features are 'inherit' / 'on' / 'off'."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        if name == "features":
            feats = {f: form.get(f"features.{f}") == "on" for f in FEATURES
                     if form.get(f"features.{f}") in ("on", "off")}
            if feats:
                data["features"] = feats
            continue
        value = form.get(name, "").strip()
        if value == "":
            continue
        if name in ("elderly_mode_default", "elderly_by_age"):
            data[name] = value == "on" if value in ("on", "off") else value
        else:
            data[name] = value
    return data


def config_to_form(overrides: dict[str, Any]) -> dict[str, str]:
    form: dict[str, str] = {}
    for name, value in overrides.items():
        if name == "features":
            for f, v in value.items():
                form[f"features.{f}"] = "on" if v else "off"
        elif isinstance(value, bool):
            form[name] = "on" if value else "off"
        elif value is not None:
            form[name] = str(value)
    return form


JOB_TEXT = ("id", "title", "category", "employer", "headcount", "pay_amount", "pay_unit",
            "settlement", "start_date", "end_date", "daily_hours", "address", "district",
            "directions", "lat", "lng", "contact", "valid_through")


def job_from_form(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: form.get(k, "").strip() for k in JOB_TEXT}
    if not data["id"]:
        data.pop("id")
    req: dict[str, Any] = {"notes": form.get("requirements.notes", "").strip()}
    for k in ("age_min", "age_max"):
        if form.get(f"requirements.{k}", "").strip():
            req[k] = form[f"requirements.{k}"].strip()
    data["requirements"] = req
    return data


def job_to_form(job: dict[str, Any]) -> dict[str, str]:
    form = {k: str(job.get(k, "")) for k in JOB_TEXT}
    for k, v in (job.get("requirements") or {}).items():
        form[f"requirements.{k}"] = "" if v is None else str(v)
    return form
