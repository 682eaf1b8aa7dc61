"""Device-neutral receipts: a small block model, layout by display width, and the slips.

A `Receipt` is a tuple of blocks (text with size/bold/alignment, rules, key–value rows,
QR codes, feeds). `layout()` wraps it for a paper width into lines that fit, counting a CJK
character as two columns (as a thermal printer's 24-dot Kanji font does). devices/printer
turns the laid-out lines into ESC/POS; the screen can show the same receipt.

Every word on a slip comes from the catalogue by msgid (kiosk.i18n), in the slip's `lang`
(Chinese unless asked otherwise).

Personal data: `application_receipt` takes the raw name / ID number / phone, masks them
here (the one place) and keeps only the masked forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.formatting import long_date, walk_text
from kiosk.geo import haversine_km
from kiosk.i18n import N_, tr
from kiosk.linebreak import char_width, text_width, wrap
from kiosk.models import Job, Policy, Station
from kiosk.printable import printable
from kiosk.privacy import mask_id_number, mask_name, mask_phone
from kiosk.visit import reports

HOTLINE = "12333"


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    size: int = 1  # 1 normal, 2 double width and height
    bold: bool = False
    align: Align = Align.LEFT


@dataclass(frozen=True, slots=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True, slots=True)
class Row:
    """Key–value row; the value wraps under itself (hanging indent)."""

    key: str
    value: str
    bold: bool = False
    sep: str = "："  # after the key; the slips put the language's own in the key ("" here)


@dataclass(frozen=True, slots=True)
class Qr:
    data: str
    mode: str | None = None  # "native" / "image" to force one (the test page); None: the printer's


@dataclass(frozen=True, slots=True)
class Probe:
    """A test-page line sent exactly as written: no wrapping, no charset fallback, encoded in
    `charset` whatever the printer's — to see what the printer itself makes of it."""

    text: str
    charset: str = "ascii"


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


Block = Text | Rule | Row | Qr | Feed | Probe


@dataclass(frozen=True, slots=True)
class Receipt:
    kind: str  # "job", "application", "policy", "test"
    blocks: tuple[Block, ...]
    reference: str = ""

    @property
    def qr_data(self) -> str | None:
        """The first QR payload: what the UI shows on screen when the paper copy fails."""
        return next((b.data for b in self.blocks if isinstance(b, Qr)), None)


@dataclass(frozen=True, slots=True)
class Paper:
    width_mm: int
    columns: int  # font A (12x24 dots) characters per line
    dots: int  # printable width in dots at 203 dpi


PAPER_58 = Paper(58, 32, 384)
PAPER_80 = Paper(80, 48, 576)


def paper_for(width_mm: int) -> Paper:
    if width_mm == 58:
        return PAPER_58
    if width_mm == 80:
        return PAPER_80
    raise ValueError(f"unsupported paper width {width_mm} mm (58 or 80)")


# --- layout --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: int = 1
    bold: bool = False
    align: Align = Align.LEFT
    raw_charset: str | None = None  # a Probe: sent in this charset as is (may be wider than the paper)


@dataclass(frozen=True, slots=True)
class QrLine:
    data: str
    mode: str | None = None


@dataclass(frozen=True, slots=True)
class FeedLine:
    lines: int = 1


LaidOut = Line | QrLine | FeedLine


def layout(receipt: Receipt, paper: Paper) -> list[LaidOut]:
    """Lines that each fit the paper: what a renderer emits one by one."""
    out: list[LaidOut] = []
    cols = paper.columns
    for block in map(_printable, receipt.blocks):
        if isinstance(block, Text):
            size = max(1, min(2, block.size))
            out.extend(Line(t, size, block.bold, block.align) for t in wrap(block.text, cols // size))
        elif isinstance(block, Rule):
            out.append(Line(block.char * (cols // max(1, char_width(block.char)))))
        elif isinstance(block, Row):
            out.extend(_row_lines(block, cols))
        elif isinstance(block, Qr):
            out.append(QrLine(block.data, block.mode))
        elif isinstance(block, Probe):
            out.append(Line(block.text, raw_charset=block.charset))
        elif isinstance(block, Feed):
            out.append(FeedLine(block.lines))
    return out


def _printable(block: Block) -> Block:
    """The block's text without control characters: every text on a slip passes here, so
    none from the central API can reach the printer as a command (kiosk.printable)."""
    if isinstance(block, Text):
        return replace(block, text=printable(block.text, multiline=True))
    if isinstance(block, Row):
        return replace(block, key=printable(block.key), value=printable(block.value, multiline=True))
    if isinstance(block, Rule):
        return replace(block, char=printable(block.char)[:1] or "-")
    if isinstance(block, Qr):  # length-prefixed (GS ( k) or an image, but a lone surrogate cannot
        return replace(block, data=printable(block.data, multiline=True))  # be encoded; lines: jobcode
    return block


def _row_lines(row: Row, cols: int) -> list[Line]:
    key = row.key + row.sep
    kw = text_width(key)
    if kw > cols // 2:  # long key: value goes below it, indented
        value = wrap(row.value, cols - 2)
        return [Line(key, bold=row.bold)] + [Line("  " + v, bold=row.bold) for v in value]
    value = wrap(row.value, cols - kw) or [""]
    first = Line(key + value[0], bold=row.bold)
    return [first] + [Line(" " * kw + v, bold=row.bold) for v in value[1:]]


# --- formatting helpers --------------------------------------------------------------------

def distance_text(km: float, lang: str = "zh") -> str:
    if km < 1:
        return tr("about {metres} m", lang).format(metres=f"{max(10, round(km * 1000, -1)):.0f}")
    return tr("about {km} km", lang).format(km=f"{km:.1f}")


def _dates(job: Job, lang: str) -> str:
    if job.start_date == job.end_date:
        return long_date(job.start_date, lang)
    return tr("{start} to {end}", lang).format(start=long_date(job.start_date, lang), end=long_date(job.end_date, lang))


def _printed(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _row(label: str, value: str, lang: str, bold: bool = False) -> Row:
    """A key–value row whose key is the msgid `label`, with the language's own colon."""
    return Row(tr("{label}: ", lang).format(label=tr(label, lang)), value, bold, sep="")


def _pay(job: Job, lang: str) -> str:
    return tr("{pay}, {settlement}", lang).format(pay=job.pay_text(lang), settlement=job.settlement_text(lang))


def job_reference(job: Job, printed_at: dt.datetime) -> str:
    """Short reference the seeker can quote on the phone: job id + minute printed."""
    return f"{job.id}-{printed_at:%m%d%H%M}".upper()


def _footer(station: Station, printed_at: dt.datetime, privacy: str, lang: str, note: str = "") -> list[Block]:
    """privacy: a msgid; note: the county's own line (remote config receipt_footer), printed last."""
    blocks: list[Block] = [
        Rule(),
        _row(N_("Printing station"), station.display_name(lang), lang),
        _row(N_("Printed at"), _printed(printed_at), lang),
        Text(tr("Employment services hotline: {hotline}", lang).format(hotline=HOTLINE), bold=True),
        Text(tr(privacy, lang)),
        Text(tr("Job seeking is free: beware of scams asking for deposits or training fees.", lang)),
    ]
    if note.strip():
        blocks.append(Text(note.strip(), align=Align.CENTER))
    return blocks


_NO_PERSONAL_DATA = N_("This slip holds none of your personal data.")


def _trust(job: Job, complaint_phone: str, lang: str) -> list[Block]:
    """Issue 16 on paper: the employer check, pay far below the guidance wage, and that job
    seeking never costs a fee, with the county's complaint hotline."""
    if not complaint_phone:
        return []
    blocks: list[Block] = [Text(tr(reports.employer_msgid(job), lang), bold=True)]
    if job.below_guidance:
        blocks.append(Text(tr(reports.LOW_PAY, lang).format(guidance=job.guidance_text(lang)), bold=True))
    blocks.append(Text(tr(reports.NO_FEE, lang).format(phone=complaint_phone), bold=True))
    return blocks


# --- the slips -----------------------------------------------------------------------------

def job_slip(
    job: Job,
    station: Station,
    *,
    printed_at: dt.datetime,
    reference: str | None = None,
    qr_data: str | None = None,
    footer: str = "",
    lang: str = "zh",
    complaint_phone: str = "",
) -> Receipt:
    """The slip a seeker takes away. `qr_data`: what the visit puts in the job's QR
    (kiosk.jobcode), else the bare `job:<id>`; `footer` is the county's receipt_footer.
    `complaint_phone` (the visit always gives it): the trust lines of issue 16 — whether the
    employer is verified, pay below the guidance wage, and whom to call about fees."""
    ref = reference or job_reference(job, printed_at)
    km = haversine_km(station.lat, station.lng, job.lat, job.lng)
    blocks: list[Block] = [
        Text(station.display_name(lang), align=Align.CENTER),
        Text(tr("Gig job information", lang), bold=True, align=Align.CENTER),
        Rule("="),
        Text(job.title_text(lang), size=2, bold=True),
        _row(N_("Employer"), job.employer, lang),
        _row(N_("Pay"), _pay(job, lang), lang, bold=True),
        _row(N_("Dates"), _dates(job, lang), lang),
        _row(N_("Daily hours"), job.daily_hours or tr("Negotiable", lang), lang),
        _row(N_("People needed"), tr("{n} people", lang).format(n=job.headcount), lang),
        _row(N_("Workplace"), job.address, lang),
        # with the walking time (issue 16): "约 870 米，步行约 16 分钟"
        _row(N_("Distance from here"), tr("{distance}, {walk}", lang).format(
            distance=distance_text(km, lang), walk=walk_text(km, lang)), lang),
    ]
    if job.directions:
        blocks.append(_row(N_("Travel directions"), job.directions, lang))
    req = job.requirements
    wants = []
    if req.age_min or req.age_max:
        wants.append(tr("Age {min}-{max}", lang).format(min=req.age_min or "", max=req.age_max or ""))
    if req.notes:
        wants.append(req.notes)
    if wants:
        joined = wants[0]
        for more in wants[1:]:
            joined = tr("{first}; {second}", lang).format(first=joined, second=more)
        blocks.append(_row(N_("Job requirements"), joined, lang))
    blocks += [
        _row(N_("How to contact"), job.contact or tr("Ask at the station", lang), lang),
        _row(N_("Reference number"), ref, lang, bold=True),
        *_trust(job, complaint_phone, lang),
        Feed(),
        Qr(qr_data or f"job:{job.id}"),
        Text(tr("Scan with your phone to save or share this job", lang), align=Align.CENTER),
        *_footer(station, printed_at, _NO_PERSONAL_DATA, lang, footer),
    ]
    return Receipt("job", tuple(blocks), ref)


def application_receipt(
    *,
    name: str,
    id_number: str,
    job: Job,
    station: Station,
    reference: str,
    queued: bool,
    printed_at: dt.datetime,
    phone: str = "",
    footer: str = "",
    qr_data: str | None = None,
    lang: str = "zh",
    followup: str = "",
    complaint_phone: str = "",
) -> Receipt:
    """Receipt for a registered interest. `followup`: the county's call-back promise in `lang`
    (kiosk.formatting.followup_sentence), printed as the done screen says it. Raw personal values are masked here and the raw
    forms are not stored anywhere in the returned receipt."""
    blocks: list[Block] = [
        Text(station.display_name(lang), align=Align.CENTER),
        Text(tr("Registration receipt", lang), size=2, bold=True, align=Align.CENTER),
        Rule("="),
        _row(N_("Name"), mask_name(name), lang),
        _row(N_("ID number"), mask_id_number(id_number), lang),
    ]
    if phone:
        blocks.append(_row(N_("Mobile number"), mask_phone(phone), lang))
    state = (N_("Not online yet: your registration is saved and will be sent automatically") if queued
             else N_("Sent: the employer will contact you"))
    blocks += [
        _row(N_("Job applied for"), job.title_text(lang), lang),
        _row(N_("Employer"), job.employer, lang),
        _row(N_("Pay"), _pay(job, lang), lang),
        _row(N_("Dates"), _dates(job, lang), lang),
        _row(N_("Reference number"), reference, lang, bold=True),
        _row(N_("Registration status"), tr(state, lang), lang, bold=True),
        *([Text(followup, bold=True)] if followup else []),
        *([Text(tr(reports.NO_FEE, lang).format(phone=complaint_phone), bold=True)] if complaint_phone else []),
        Feed(),
        Qr(qr_data or f"job:{job.id}"),
        Text(tr("Scan with your phone to see the job", lang), align=Align.CENTER),
        *_footer(station, printed_at,
                 N_("Personal data is printed masked; this kiosk does not keep your ID card data."), lang, footer),
    ]
    return Receipt("application", tuple(blocks), reference)


def policy_slip(policy: Policy, station: Station, *, printed_at: dt.datetime, footer: str = "",
                lang: str = "zh") -> Receipt:
    blocks: list[Block] = [
        Text(station.display_name(lang), align=Align.CENTER),
        Text(tr("Policy information", lang), bold=True, align=Align.CENTER),
        Rule("="),
        Text(policy.title, size=2, bold=True),
    ]
    if policy.summary:
        blocks.append(Text(policy.summary, bold=True))
    blocks.append(Rule())
    blocks += [Text(p) for p in policy.body.split("\n") if p.strip()]
    blocks += _footer(station, printed_at, _NO_PERSONAL_DATA, lang, footer)
    return Receipt("policy", tuple(blocks), policy.id)


def maintenance_test_page(
    station: Station,
    *,
    printed_at: dt.datetime,
    device_status: Mapping[str, str],
    software: str = "",
    paper: Paper = PAPER_80,
    check_nonce: str = "",
    printer_info: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> Receipt:
    """Maintenance test page: device status, sizes, and what this printer can really do
    (issue 21): a native QR (A) and an image QR (B) with different payloads, so a camera
    check can tell which one printed readable; three character lines sent raw as GB2312,
    GBK-only and 4-byte GB18030; a column ruler marking 32 / 42 / 48 (where it wraps is the
    printer's width). Maintainers read English too: a catalogue may keep it beside its own
    language (the Chinese one does). `check_nonce`: the codes are the self-check's
    `ptest:A|B:<nonce>` (kiosk.printer_check). `printer_info`: the printer's GS I answers
    ({} = it was asked and said nothing)."""
    if check_nonce:
        from kiosk.printer_check import payload

        code_a, code_b = payload("A", check_nonce), payload("B", check_nonce)
    else:
        code_a, code_b = f"test:{station.id}:native", f"test:{station.id}:image"
    blocks: list[Block] = [Text(tr("Printer test page", lang), size=2, bold=True, align=Align.CENTER)]
    if lang != "en":
        blocks.append(Text(tr("Printer test page (subtitle)", lang), align=Align.CENTER))
    blocks += [
        Rule("="),
        _row(N_("Station"), f"{station.name} ({station.id})", lang),
        _row(N_("Paper"), tr("{mm} mm / {columns} columns / {dots} dots", lang).format(
            mm=paper.width_mm, columns=paper.columns, dots=paper.dots), lang),
    ]
    if software:
        blocks.append(_row(N_("Software"), software, lang))
    blocks.append(Rule())
    blocks.append(Text(tr("Device status", lang), bold=True))
    blocks += [Row(k, v, sep=tr("{label}: ", lang).format(label="")) for k, v in device_status.items()]
    if printer_info is not None:
        blocks.append(Text(tr("Printer says (GS I)", lang), bold=True))
        labels = {"model": N_("model"), "maker": N_("maker"), "firmware": N_("firmware"), "fonts": N_("fonts")}
        blocks += ([_row(labels.get(k, k), v, lang) for k, v in printer_info.items()]
                   or [_row("GS I", tr("no answer", lang), lang)])
    blocks += [
        Rule(),
        Text(tr("Sample: Gig Station, paid daily, ¥180/day (full-width punctuation).", lang)),
        Text("ASCII: 0123456789 ABCDEFGHIJ abcdefghij"),
        Text(tr("Bold", lang), bold=True),
        Text(tr("Large", lang), size=2),
        Text(tr("Centred", lang), align=Align.CENTER),
        Text(tr("Right-aligned", lang), align=Align.RIGHT),
        Rule(),
        Text(tr("Character sets (sent as is)", lang), bold=True),
        *[Probe(text, charset) for text, charset in _CHARSET_PROBES],
        Text(tr("Columns (the printer wraps where its line ends)", lang), bold=True),
        *[Probe(_ruler(n)) for n in (32, 42, 48)],
        Rule(),
        Text(tr("A native QR (GS ( k)", lang), align=Align.CENTER),
        Qr(code_a, "native"),
        Text(tr("B image QR (raster)", lang), align=Align.CENTER),
        Qr(code_b, "image"),
        Text(tr('Only if A scans may qr = "native" be set', lang), align=Align.CENTER),
        *([Text(tr("In maintenance mode, hold this page to the kiosk's camera", lang), align=Align.CENTER)]
          if check_nonce else []),
        _row(N_("Printed at"), _printed(printed_at), lang),
        Text(tr("Employment services hotline: {hotline}", lang).format(hotline=HOTLINE)),
    ]
    return Receipt("test", tuple(blocks), f"TEST-{printed_at:%m%d%H%M}")


# What the printer makes of each charset, sent as is: test data, not words to translate.
_CHARSET_PROBES = (
    ("GB2312: 零工驿站 日结 ￥180，（）", "gb2312"),
    ("GBK:    喆堃珺昇镕赟垚彧祎 ㎡ 〇 –", "gbk"),
    ("4-byte: 𠮷 • © ®", "gb18030"),
)


def _ruler(columns: int) -> str:
    """`columns` characters ending in `|NN`: 123456789012...|32."""
    mark = f"|{columns}"
    return "".join(str((i + 1) % 10) for i in range(columns - len(mark))) + mark


def plain_text(lines: Iterable[LaidOut], paper: Paper) -> str:
    """Laid-out receipt as plain text (for logs of what was printed, tests, the console)."""
    out = []
    for line in lines:
        if isinstance(line, Line):
            pad = paper.columns // line.size - text_width(line.text)
            lead = {Align.LEFT: 0, Align.CENTER: pad // 2, Align.RIGHT: pad}[line.align]
            out.append(" " * max(0, lead) + line.text)
        elif isinstance(line, QrLine):
            out.append(f"[QR {line.data}]")
        else:
            out.extend([""] * line.lines)
    return "\n".join(out)
