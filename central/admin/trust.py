"""Admin pages for trust (issue 16): employers (add with a USCC check, verify with the licence
seen, link jobs by name), the county's guidance wages, and the review queue of seekers'
reports. Logic in central.trust."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from central import services, trust
from central.admin.routes import Db, FormData, allowed, check_csrf, render
from central.models import Job, Staff
from central.text import has_bad_characters

router = APIRouter(prefix="/admin", include_in_schema=False)
Verifier = Annotated[Staff, Depends(allowed("verify_employers"))]
WageEditor = Annotated[Staff, Depends(allowed("edit_wages"))]
Reviewer = Annotated[Staff, Depends(allowed("review_reports"))]
UNITS = {"hour": "按小时 per hour", "day": "按天 per day", "piece": "按件 per piece", "order": "按单 per order"}
REASONS = {"fee": "收费 Fee charged", "false_info": "虚假信息 False information",
           "unpaid_wages": "拖欠工资 Unpaid wages", "other": "其他 Other"}
STATUSES = {"open": "招聘中 Open", "closed": "已关闭 Closed", "review": "待审核（已隐藏） Hidden for review"}


# -- employers -----------------------------------------------------------------------------------


def _employers_page(request: Request, s: Any, me: Staff, form: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None, done: str = "") -> HTMLResponse:
    return render(request, "employers.html", me, status=422 if errors else 200,
                  employers=trust.employers(s, me.county), form=form or {}, errors=errors or {},
                  done=done)


@router.get("/employers")
def employers_page(request: Request, s: Db, me: Verifier) -> HTMLResponse:
    return _employers_page(request, s, me, done=request.query_params.get("done", ""))


@router.post("/employers")
def employer_add(request: Request, s: Db, me: Verifier, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    name, code = form.get("name", "").strip(), form.get("uscc", "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200 or has_bad_characters(name):
        errors["name"] = "请填写单位名称（200字以内） / the employer's name, at most 200 characters"
    try:
        trust.check_uscc(code)
    except trust.BadUscc as exc:
        errors["uscc"] = str(exc)
    if errors:
        return _employers_page(request, s, me, form=form, errors=errors)
    try:
        employer = trust.add_employer(s, me.county, name, code)
    except services.Conflict as exc:
        return _employers_page(request, s, me, form=form, errors={"uscc": str(exc)})
    linked = trust.link_by_name(s, employer)
    s.commit()
    return RedirectResponse(f"/admin/employers?done=added-{linked}", status_code=303)


@router.post("/employers/{employer_id}/verify")
def employer_verify(request: Request, employer_id: int, s: Db, me: Verifier, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    employer = trust.get_employer(s, me.county, employer_id)
    trust.verify(s, employer, me.username, form.get("licence_seen") == "on")
    s.commit()
    return RedirectResponse("/admin/employers?done=verified", status_code=303)


@router.post("/employers/{employer_id}/link")
def employer_link(request: Request, employer_id: int, s: Db, me: Verifier, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    n = trust.link_by_name(s, trust.get_employer(s, me.county, employer_id))
    s.commit()
    return RedirectResponse(f"/admin/employers?done=linked-{n}", status_code=303)


# -- guidance wages ------------------------------------------------------------------------------


def _wages_page(request: Request, s: Any, me: Staff, form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, saved: bool = False) -> HTMLResponse:
    categories = sorted(s.scalars(select(Job.category).where(Job.county == me.county).distinct()))
    return render(request, "guidance.html", me, status=422 if errors else 200,
                  wages=trust.wages(s, me.county), units=UNITS, categories=categories,
                  threshold=trust.threshold(s, me.county), form=form or {}, errors=errors or {},
                  saved=saved)


@router.get("/guidance")
def guidance_page(request: Request, s: Db, me: WageEditor) -> HTMLResponse:
    return _wages_page(request, s, me, saved=bool(request.query_params.get("saved")))


@router.post("/guidance")
def guidance_save(request: Request, s: Db, me: WageEditor, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    category, unit, raw = (form.get("category", "").strip(), form.get("pay_unit", ""),
                           form.get("amount", "").strip())
    errors: dict[str, str] = {}
    if not category or len(category) > 64 or has_bad_characters(category):
        errors["category"] = "请填写岗位类别（64字以内） / a job category, at most 64 characters"
    if unit not in UNITS:
        errors["pay_unit"] = "请选择计薪单位 / choose a pay unit"
    amount: float | None = None
    if raw:
        try:
            amount = float(raw)
        except ValueError:
            amount = math.nan
        if not (math.isfinite(amount) and 0 < amount <= 100_000):
            errors["amount"] = "金额须大于0、不超过100000元 / an amount above 0, at most 100,000 yuan"
    if errors:
        return _wages_page(request, s, me, form=form, errors=errors)
    trust.set_wage(s, me.county, category, unit, amount, me.username)
    s.commit()
    return RedirectResponse("/admin/guidance?saved=1", status_code=303)


@router.post("/guidance/threshold")
def threshold_save(request: Request, s: Db, me: WageEditor, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    raw = form.get("threshold", "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        return _wages_page(request, s, me, errors={"threshold": "1 到 100 之间 / between 1 and 100"})
    trust.set_threshold(s, me.county, int(raw))
    s.commit()
    return RedirectResponse("/admin/guidance?saved=1", status_code=303)


# -- reports -------------------------------------------------------------------------------------


@router.get("/reports")
def reports_page(request: Request, s: Db, me: Reviewer) -> HTMLResponse:
    status = request.query_params.get("status", "open")
    status = status if status in ("open", "upheld", "dismissed") else "open"
    return render(request, "reports.html", me, groups=trust.queue(s, me.county, status), shown=status,
                  reasons=REASONS, statuses=STATUSES, threshold=trust.threshold(s, me.county),
                  done=request.query_params.get("done", ""))


@router.post("/reports/{job_id}/resolve")
def report_resolve(request: Request, job_id: str, s: Db, me: Reviewer, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    decision = form.get("decision", "")
    if decision not in trust.DECISIONS:
        return RedirectResponse("/admin/reports", status_code=303)
    trust.resolve(s, me.county, job_id, decision, me.username)
    s.commit()
    return RedirectResponse(f"/admin/reports?done={decision}", status_code=303)
