"""Device-neutral receipts: a small block model, layout by display width, and the slips.

A `Receipt` is a tuple of blocks (text with size/bold/alignment, rules, key–value rows,
QR codes, feeds). `layout()` wraps it for a paper width into lines that fit, counting a CJK
character as two columns (as a thermal printer's 24-dot Kanji font does). devices/printer
turns the laid-out lines into ESC/POS; the screen can show the same receipt.

Personal data: `application_receipt` takes the raw name / ID number / phone, masks them
here (the one place) and keeps only the masked forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.geo import haversine_km
from kiosk.linebreak import char_width, text_width, wrap
from kiosk.models import Job, Policy, Station
from kiosk.printable import printable
from kiosk.privacy import mask_id_number, mask_name, mask_phone

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
    if isinstance(block, Qr):  # length-prefixed (GS ( k) or an image, but a lone surrogate
        return replace(block, data=printable(block.data))  # cannot even be encoded
    return block


def _row_lines(row: Row, cols: int) -> list[Line]:
    key = row.key + "："
    kw = text_width(key)
    if kw > cols // 2:  # long key: value goes below it, indented
        value = wrap(row.value, cols - 2)
        return [Line(key, bold=row.bold)] + [Line("  " + v, bold=row.bold) for v in value]
    value = wrap(row.value, cols - kw) or [""]
    first = Line(key + value[0], bold=row.bold)
    return [first] + [Line(" " * kw + v, bold=row.bold) for v in value[1:]]


# --- formatting helpers --------------------------------------------------------------------

def distance_text(km: float) -> str:
    if km < 1:
        return f"约{max(10, round(km * 1000, -1)):.0f}米"
    return f"约{km:.1f}公里"


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _dates(job: Job) -> str:
    if job.start_date == job.end_date:
        return _date(job.start_date)
    return f"{_date(job.start_date)}至{_date(job.end_date)}"


def _printed(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def job_reference(job: Job, printed_at: dt.datetime) -> str:
    """Short reference the seeker can quote on the phone: job id + minute printed."""
    return f"{job.id}-{printed_at:%m%d%H%M}".upper()


def _footer(station: Station, printed_at: dt.datetime, privacy: str, note: str = "") -> list[Block]:
    """note: the county's own line (remote config receipt_footer), printed last."""
    blocks: list[Block] = [
        Rule(),
        Row("打印站点", station.name),
        Row("打印时间", _printed(printed_at)),
        Text(f"人社服务热线：{HOTLINE}", bold=True),
        Text(privacy),
        Text("求职不收费，谨防以押金、培训费为名的诈骗。"),
    ]
    if note.strip():
        blocks.append(Text(note.strip(), align=Align.CENTER))
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
) -> Receipt:
    """The slip a seeker takes away. `qr_data` defaults to the kiosk's `job:<id>` code
    (a job-site URL can be passed instead); `footer` is the county's receipt_footer."""
    ref = reference or job_reference(job, printed_at)
    km = haversine_km(station.lat, station.lng, job.lat, job.lng)
    blocks: list[Block] = [
        Text(station.name, align=Align.CENTER),
        Text("零工岗位信息", bold=True, align=Align.CENTER),
        Rule("="),
        Text(job.title, size=2, bold=True),
        Row("用工单位", job.employer),
        Row("薪资待遇", f"{job.pay_text('zh')}，{job.settlement_text('zh')}", bold=True),
        Row("工作日期", _dates(job)),
        Row("每日时间", job.daily_hours or "面议"),
        Row("招聘人数", f"{job.headcount}人"),
        Row("工作地点", job.address),
        Row("距离本站", distance_text(km)),
    ]
    if job.directions:
        blocks.append(Row("乘车路线", job.directions))
    req = job.requirements
    wants = []
    if req.age_min or req.age_max:
        wants.append(f"年龄{req.age_min or ''}-{req.age_max or ''}岁")
    if req.notes:
        wants.append(req.notes)
    if wants:
        blocks.append(Row("岗位要求", "；".join(wants)))
    blocks += [
        Row("联系方式", job.contact or "请到驿站咨询"),
        Row("参考编号", ref, bold=True),
        Feed(),
        Qr(qr_data or f"job:{job.id}"),
        Text("用手机扫码，保存或分享此岗位", align=Align.CENTER),
        *_footer(station, printed_at, "本凭条不含您的个人信息。", footer),
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
) -> Receipt:
    """Receipt for a registered interest. Raw personal values are masked here and the raw
    forms are not stored anywhere in the returned receipt."""
    blocks: list[Block] = [
        Text(station.name, align=Align.CENTER),
        Text("报名回执", size=2, bold=True, align=Align.CENTER),
        Rule("="),
        Row("姓名", mask_name(name)),
        Row("身份证号", mask_id_number(id_number)),
    ]
    if phone:
        blocks.append(Row("手机号码", mask_phone(phone)))
    blocks += [
        Row("报名岗位", job.title),
        Row("用工单位", job.employer),
        Row("薪资待遇", f"{job.pay_text('zh')}，{job.settlement_text('zh')}"),
        Row("工作日期", _dates(job)),
        Row("参考编号", reference, bold=True),
        Row(
            "报名状态",
            "网络暂未连接，报名已保存，联网后自动发送" if queued else "已提交，用工单位将与您联系",
            bold=True,
        ),
        Feed(),
        Qr(f"job:{job.id}"),
        Text("用手机扫码查看岗位", align=Align.CENTER),
        *_footer(station, printed_at, "个人信息已脱敏打印，本机不保存您的身份证信息。", footer),
    ]
    return Receipt("application", tuple(blocks), reference)


def policy_slip(policy: Policy, station: Station, *, printed_at: dt.datetime, footer: str = "") -> Receipt:
    blocks: list[Block] = [
        Text(station.name, align=Align.CENTER),
        Text("政策信息", bold=True, align=Align.CENTER),
        Rule("="),
        Text(policy.title, size=2, bold=True),
    ]
    if policy.summary:
        blocks.append(Text(policy.summary, bold=True))
    blocks.append(Rule())
    blocks += [Text(p) for p in policy.body.split("\n") if p.strip()]
    blocks += _footer(station, printed_at, "本凭条不含您的个人信息。", footer)
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
) -> Receipt:
    """Maintenance test page: device status, sizes, and what this printer can really do
    (issue 21): a native QR (A) and an image QR (B) with different payloads, so a camera
    check can tell which one printed readable; three character lines sent raw as GB2312,
    GBK-only and 4-byte GB18030; a column ruler marking 32 / 42 / 48 (where it wraps is the
    printer's width). `check_nonce`: the codes are the self-check's `ptest:A|B:<nonce>`
    (kiosk.printer_check). `printer_info`: the printer's GS I answers ({} = it was asked and
    said nothing)."""
    if check_nonce:
        from kiosk.printer_check import payload

        code_a, code_b = payload("A", check_nonce), payload("B", check_nonce)
    else:
        code_a, code_b = f"test:{station.id}:native", f"test:{station.id}:image"
    blocks: list[Block] = [
        Text("打印机测试页", size=2, bold=True, align=Align.CENTER),
        Text("Printer test page", align=Align.CENTER),
        Rule("="),
        Row("站点", f"{station.name} ({station.id})"),
        Row("纸宽", f"{paper.width_mm}mm / {paper.columns}列 / {paper.dots}点"),
    ]
    if software:
        blocks.append(Row("软件", software))
    blocks.append(Rule())
    blocks.append(Text("设备状态 Device status", bold=True))
    blocks += [Row(k, v) for k, v in device_status.items()]
    if printer_info is not None:
        blocks.append(Text("打印机自报 Printer says (GS I)", bold=True))
        labels = {"model": "型号 model", "maker": "厂商 maker", "firmware": "固件 firmware", "fonts": "字库 fonts"}
        blocks += [Row(labels.get(k, k), v) for k, v in printer_info.items()] or [Row("GS I", "无应答 no answer")]
    blocks += [
        Rule(),
        Text("中文：零工驿站 日结 ￥180/天，（全角标点）。"),
        Text("ASCII: 0123456789 ABCDEFGHIJ abcdefghij"),
        Text("粗体 Bold", bold=True),
        Text("大字 Large", size=2),
        Text("居中 Center", align=Align.CENTER),
        Text("靠右 Right", align=Align.RIGHT),
        Rule(),
        Text("字符集 Character sets (sent as is)", bold=True),
        Probe("GB2312: 零工驿站 日结 ￥180，（）", "gb2312"),
        Probe("GBK:    喆堃珺昇镕赟垚彧祎 ㎡ 〇 –", "gbk"),
        Probe("4-byte: 𠮷 • © ®", "gb18030"),
        Text("列宽 Columns (the printer wraps where its line ends)", bold=True),
        *[Probe(_ruler(n)) for n in (32, 42, 48)],
        Rule(),
        Text("A 原生二维码 native QR (GS ( k)", align=Align.CENTER),
        Qr(code_a, "native"),
        Text("B 图片二维码 image QR (raster)", align=Align.CENTER),
        Qr(code_b, "image"),
        Text("A 能扫出才可设 qr = \"native\"", align=Align.CENTER),
        *([Text("维护模式下把本页对准本机摄像头自检 Hold this page to the kiosk camera", align=Align.CENTER)]
          if check_nonce else []),
        Row("打印时间", _printed(printed_at)),
        Text(f"人社服务热线：{HOTLINE}"),
    ]
    return Receipt("test", tuple(blocks), f"TEST-{printed_at:%m%d%H%M}")


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
