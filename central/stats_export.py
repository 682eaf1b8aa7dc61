"""The county's monthly service report (服务成效) as CSV and XLSX: one sheet (or block) per
month, one row per station, a totals row. Built from central.stats.report rows."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

# (column key, header): the figures a county reports, Chinese first.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("visits", "服务人次 Visits"), ("card_reads", "刷证 Card reads"), ("codes_scanned", "扫码 Codes scanned"),
    ("job_views", "岗位浏览 Job views"), ("slips", "打印岗位单 Slips printed"), ("phone_saves", "存到手机 Phone saves"),
    ("registrations", "报名 Registrations"), ("withdrawals", "撤回 Withdrawals"), ("contacted", "已联系 Contacted"),
    ("hired", "已上岗 Hired"), ("policy_views", "政策浏览 Policy views"), ("large_text", "大字模式 Large text"),
    ("read_aloud", "语音朗读 Read aloud"), ("english", "英文 English"),
    ("standing_registrations", "求职登记 Work registrations"),
    ("standing_renewals", "求职登记续期 Work registrations renewed"),
    ("standing_endings", "求职登记结束 Work registrations ended"),
    ("job_reports", "举报岗位 Job reports"),
)
HEAD = ("驿站编号 Station ID", "驿站 Station")


def by_month(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, list[list[Any]]]:
    """{'YYYY-MM': [[station id, name, figures...], ..., ['合计 Total', '', sums...]]} from
    month-grouped report rows; every station of the county appears, with zeros if silent."""
    months: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        months[r["period"][:7]][r["station_id"]] = r
    out = {}
    for month in sorted(months):
        lines = [[sid, names.get(sid, ""), *(int(months[month].get(sid, {}).get(k, 0)) for k, _ in COLUMNS)]
                 for sid in sorted(names)]
        lines.append(["合计 Total", "", *(sum(line[2 + i] for line in lines) for i in range(len(COLUMNS)))])
        out[month] = lines
    return out


def to_csv(months: dict[str, list[list[Any]]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["月份 Month", *HEAD, *(h for _, h in COLUMNS)])
    for month, lines in months.items():
        for line in lines:
            w.writerow([month, *line])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(months: dict[str, list[list[Any]]], county: str) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for month, lines in months.items() or {"—": []}.items():
        ws = wb.create_sheet(month)
        ws.append([f"{county} 零工驿站服务成效 {month}"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([*HEAD, *(h for _, h in COLUMNS)])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for line in lines:
            ws.append(line)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "C3"
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 14, 24
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
