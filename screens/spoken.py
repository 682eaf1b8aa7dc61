"""What each screen says when read aloud: its main content in the current language, from
masked data only, and never a phone number being typed (a kiosk speaks in a public place)."""

from __future__ import annotations

from kivy.app import App


def spoken_text(app: App) -> str:
    """The text for the screen on show, in the app's current language."""
    t, name, job = app.tr, app.sm.current, app.current_job
    if name == "home":
        return "。".join([t("What would you like to do?"), t("Find work nearby"), t("Place your ID card"),
                         t("Scan a code"), t("Employment policies and services")])
    if name == "jobs":
        rows = app.screen("jobs").ids.rv.data[:3]
        heard = [f"{r['title']}，{r['pay']}，{r['settlement']}，{r['distance']}" for r in rows]
        return "。".join([t("{n} jobs within {km:g} km").format(n=app.job_count, km=app.job_filter.radius_km), *heard])
    if name == "job_detail" and job is not None:
        return "。".join([job.title, job.pay_text(app.lang), job.settlement_text(app.lang), job.employer,
                         job.address, t("Print job slip"), t("Register interest")])
    if name == "printing":
        if app.print_state == "sent":
            return t("Please take your job slip from the slot below the screen. If none came out, scan this QR code.")
        return app.print_problem if app.print_state == "problem" else t("Please take your job slip from the slot below the screen")
    if name == "apply_consent":
        return t("To register your interest in this job we send your name, ID card number and phone number to the county employment service, which passes them to this employer only. They are used to contact you about this job and are deleted from this kiosk as soon as they are sent. Your card photo is never kept. You may say no: you can still browse jobs and print slips.")
    if name == "apply_phone":
        return t("Your mobile number, so the employer can call you")
    if name == "apply_done":
        return t("Your registration has been received")
    if name == "policy" and app.current_policy is not None:
        p = app.current_policy
        return p.title + "。" + p.body if app.lang == "zh" else (p.title_en or p.title) + ". " + (p.body_en or p.body)
    if name == "policies":
        return t("Employment policies and services")
    if name == "job_qr":
        return t("Scan with your phone camera or WeChat to keep this job")
    return ""
