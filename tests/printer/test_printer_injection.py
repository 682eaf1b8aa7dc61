"""Printer command injection (issue 11 item 3): text from central never becomes ESC/POS commands.

Job, policy and receipt_footer text arrive from the central API (or an old cache, or another
server). A title such as "搬运工<GS>VA<ETX><ESC>@<ESC>t<DLE>" must print as text, not cut the
paper, reset the printer or switch its code page mid-slip.

How "no command the renderer did not emit itself" is made precise: the renderer's commands
depend on the receipt's *structure* (blocks, styles, QR data), never on its text, and its style
commands are emitted when a style changes, not per wrapped line. So a twin receipt — the same
blocks with every text replaced by a harmless "x" — must produce exactly the same sequence of
commands (line feeds aside, since wrapping decides how many there are). The bytes are split into
commands with the ESC/POS tokenizer the printer simulator and preview use, so an injected ESC,
GS, FS or DLE shows up as a command the twin lacks. Besides, every text byte must reach the
paper as text: the printed text is exactly the laid-out lines, none swallowed as a parameter.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.printer.escpos_stream import Token, tokens
from devices.printer.render import (
    Dummy,
    RenderOptions,
    encode_text,
    probe_bytes,
    qr_is_native,
    render,
)
from devices.printer.sample import (
    SAMPLE_JOB,
    SAMPLE_PERSON,
    SAMPLE_POLICY,
    SAMPLE_STATION,
    SAMPLE_TIME,
)
from kiosk import receipts as r
from kiosk.models import Job, Policy, Requirements, Station

ATTACK = "搬运工\u001dVA\u0003\u001b@\u001bt\u0010"
OPTIONS = RenderOptions(r.PAPER_80)


def _commands(data: bytes) -> list[Token]:
    return [t for t in tokens(data) if t.op not in ("text", "LF")]


def _twin(receipt: r.Receipt) -> r.Receipt:
    """The same blocks with every text a harmless "x"."""
    blocks: list[r.Block] = []
    for b in receipt.blocks:
        if isinstance(b, r.Text):
            b = dataclasses.replace(b, text="x")
        elif isinstance(b, r.Row):
            b = dataclasses.replace(b, key="x", value="x")
        elif isinstance(b, r.Rule):
            b = r.Rule("-")
        blocks.append(b)
    return r.Receipt(receipt.kind, tuple(blocks), receipt.reference)


def assert_no_injected_commands(receipt: r.Receipt, options: RenderOptions = OPTIONS) -> None:
    out = render(receipt, options)
    got = _commands(out)
    want = _commands(render(_twin(receipt), options))
    assert [t.raw for t in got] == [t.raw for t in want], [t.op for t in got]
    lines = [item for item in r.layout(receipt, options.paper) if isinstance(item, r.Line)]
    printed = b"".join(t.data for t in tokens(out) if t.op == "text")
    assert b"\t" not in printed  # HT is a command too; the tokenizer counts it as text
    # Probe lines of the test page are fixed text sent in their own charset, as the renderer does.
    assert printed == b"".join(probe_bytes(line) if line.raw_charset else encode_text(line.text)
                               for line in lines)
    feeds = sum(t.op == "LF" for t in tokens(out))
    native = Dummy(profile=options.profile).profile.supports("qrCode") if options.native_qr is None else options.native_qr
    qr_feeds = sum(isinstance(item, r.QrLine) and qr_is_native(item, native)
                   for item in r.layout(receipt, options.paper))
    assert feeds == len(lines) + qr_feeds  # no line feed smuggled in a line's text


def _job(**fields: str) -> Job:
    notes = fields.pop("notes", SAMPLE_JOB.requirements.notes)
    return dataclasses.replace(SAMPLE_JOB, requirements=Requirements(18, 55, notes), **fields)


# --- the observed attack (regression) ----------------------------------------------------

def test_job_title_with_cut_reset_and_codepage_prints_as_text() -> None:
    slip = r.job_slip(_job(title=ATTACK), SAMPLE_STATION, printed_at=SAMPLE_TIME)
    ops = [t.op for t in tokens(render(slip, OPTIONS))]
    assert ops.count("GS V") == 1 and ops[-1] == "GS V"  # the one cut, at the end
    assert ops.count("ESC @") == 1 and ops[0] == "ESC @"  # the one reset, at the start
    assert "ESC t" not in ops and not any(op.startswith(("DLE", "CTL", "?")) for op in ops)
    assert_no_injected_commands(slip)


def test_policy_text_and_footer_print_as_text() -> None:
    policy = dataclasses.replace(SAMPLE_POLICY, title=ATTACK, summary=ATTACK, body=f"第一段{ATTACK}\n第二段\x1b!\x30")
    slip = r.policy_slip(policy, SAMPLE_STATION, printed_at=SAMPLE_TIME, footer=f"县人社局{ATTACK}")
    assert_no_injected_commands(slip)
    text = r.plain_text(r.layout(slip, r.PAPER_80), r.PAPER_80)
    assert "第一段搬运工VA@t" in text and "县人社局搬运工VA@t" in text  # the text itself stays


def test_multiline_fields_keep_their_lines_and_lose_the_rest() -> None:
    slip = r.Receipt("test", (r.Text("甲\r\n乙\t丙\u2028丁\ud800\x85"), r.Row("键\n", "一\n二")))
    lines = [x.text for x in r.layout(slip, r.PAPER_80) if isinstance(x, r.Line)]
    assert lines == ["甲", "乙 丙", "丁", "键 ：一", "     二"]


# --- any text in any field (property) ------------------------------------------------------

_COMMANDS = st.sampled_from([
    "\x1b@", "\x1dVA\x03", "\x1dV\x00", "\x1bt\x10", "\x1b!\x30", "\x1c.", "\x1c&", "\x10\x04\x01",
    "\x10\x14\x01\x00\x05", "\x1bp\x00\x19\xfa", "\x1d(k\x03\x001P0", "\x1dv0\x00\x01\x00\x01\x00", "\x1b",
    "\x1d", "\x1c", "\x10", "\n", "\r", "\t", "\x00", "\x7f", "\x85", "\x9b", "\ud800", "\udfff",
])
_ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
TEXT = st.lists(st.one_of(_COMMANDS, st.text(_ANY_CHAR, max_size=6), st.sampled_from(["零工", "日结", "A1"])),
                max_size=8).map("".join)
JOB_FIELDS = ("id", "title", "employer", "daily_hours", "address", "contact", "directions", "notes")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({f: TEXT for f in JOB_FIELDS}), station=TEXT, footer=TEXT,
       name=TEXT, width=st.sampled_from([r.PAPER_58, r.PAPER_80]))
def test_no_text_in_a_job_slip_or_application_receipt_adds_a_command(
    fields: dict[str, str], station: str, footer: str, name: str, width: r.Paper,
) -> None:
    job = _job(**fields)
    where = Station(id="s", name=station, lat=30.0, lng=117.0)
    options = RenderOptions(width)
    assert_no_injected_commands(r.job_slip(job, where, printed_at=SAMPLE_TIME, footer=footer), options)
    person = {**SAMPLE_PERSON, "name": name}
    assert_no_injected_commands(r.application_receipt(
        **person, job=job, station=where, reference=fields["id"], queued=True,
        printed_at=SAMPLE_TIME, footer=footer), options)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, summary=TEXT, body=TEXT, footer=TEXT, width=st.sampled_from([r.PAPER_58, r.PAPER_80]))
def test_no_text_in_a_policy_slip_adds_a_command(title: str, summary: str, body: str, footer: str,
                                                 width: r.Paper) -> None:
    policy = Policy(id="p", title=title, summary=summary, body=body)
    slip = r.policy_slip(policy, SAMPLE_STATION, printed_at=SAMPLE_TIME, footer=footer)
    assert_no_injected_commands(slip, RenderOptions(width))


@pytest.mark.parametrize("native_qr", [True, False])
def test_test_page_device_status_cannot_add_commands(native_qr: bool) -> None:
    status = {"printer": ATTACK, ATTACK: "ok"}
    page = r.maintenance_test_page(SAMPLE_STATION, printed_at=SAMPLE_TIME, device_status=status, software=ATTACK)
    assert_no_injected_commands(page, RenderOptions(r.PAPER_80, native_qr=native_qr))
