"""The credit report as a PDF (信用报告): fpdf2, a subset of Noto Sans CJK SC embedded, a vector QR code.

Font: Debian's ``fonts-noto-cjk`` package (``/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc``, face
"Noto Sans CJK SC"); another file can be configured (``TRANSPORT_CREDIT_REPORT_FONT``, a .ttf/.otf/.ttc with
simplified Chinese glyphs). Only the glyphs used are embedded (a subset), so the PDF shows the same text in every
viewer, on machines without Chinese fonts too.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from transport_credit.common.errors import CreditError
from transport_credit.disclosure.service import PublicRecord, PublicSubject

FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
FONT = "cjk"
# Fields printed for each record, by category (the rest of the public fields are on the website).
_BRIEF: dict[str, Sequence[str]] = {
    "XZXK": ("许可证书名称", "许可内容", "有效期至", "许可机关"),
    "XZCF": ("违法行为类型", "处罚类别", "处罚内容", "罚款金额（万元）", "处罚机关"),
    "XYPJ": ("评价模型", "评价周期", "信用等级", "评价得分", "有效期至", "评价机关"),
    "HMD": ("名单名称", "列入事由", "有效期至", "认定部门"),
    "HEIMD": ("名单名称", "列入事由", "有效期至", "认定部门"),
    "ZDGZ": ("名单名称", "列入事由", "有效期至", "认定部门"),
    "XYCN": ("承诺类型", "承诺事项", "履约状态", "承诺受理单位"),
    "BZJL": ("表彰奖励名称", "奖励级别", "表彰单位"),
}
MAX_PER_SECTION = 50


class FontMissing(CreditError):
    status = 503
    code = "report_font_missing"


@functools.cache
def _font_face(path: Path) -> int:
    """Index of the simplified-Chinese face in a font collection (0 for a single font)."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    collection = TTCollection(str(path), lazy=True)
    names = [str(f["name"].getDebugName(1) or "") for f in collection.fonts]
    for preferred in ("Noto Sans CJK SC", "WenQuanYi Micro Hei"):
        if preferred in names:
            return names.index(preferred)
    return 0


def find_font(configured: Path | None) -> Path:
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"配置的报告字体文件不存在：{configured}", code="report_font_missing")
        return configured
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise FontMissing("未找到中文字体，无法生成信用报告（请安装 fonts-noto-cjk）", code="report_font_missing")


@dataclass(frozen=True)
class ReportMeta:
    code: str
    verify_url: str
    issuer: str  # 出具单位, e.g. 信用交通·河南
    as_of: dt.date
    issued_at: dt.datetime  # UTC


class _Report(FPDF):
    meta: ReportMeta

    def header(self) -> None:
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.meta.issuer}　信用报告　验证码 {self.meta.code}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页　　核验：{self.meta.verify_url}", align="C")
        self.set_text_color(0)


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as filled squares (vector: sharp at any zoom, no image library needed)."""
    qr = segno.make(data, error="m", micro=False)
    matrix = list(qr.matrix)
    border = 2
    n = len(matrix) + 2 * border
    cell = size / n
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + (c + border) * cell, y + (r + border) * cell, cell + 0.01, cell + 0.01, style="F")


def _kv(pdf: FPDF, label: str, value: str) -> None:
    if value.startswith("2099-12-31"):
        value = "长期"
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(90)
    pdf.cell(32, 6, label)
    pdf.set_text_color(0)
    pdf.multi_cell(0, 6, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _record(pdf: FPDF, rec: PublicRecord, disputed: bool) -> None:
    pdf.set_font(FONT, size=9.5)
    head = f"{rec.title}　{rec.decision_date.isoformat() if rec.decision_date else ''}"
    if rec.publicity_end and rec.publicity_end.year < 2099:
        head += f"　公示至 {rec.publicity_end.isoformat()}"
    if disputed:
        head += "　【异议处理中】"
    pdf.set_fill_color(242, 245, 249)
    pdf.multi_cell(0, 6, head, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for name in _BRIEF.get(rec.category, ()):
        value = rec.fields.get(name)
        if value not in (None, ""):
            _kv(pdf, name, str(value))
    pdf.ln(1.5)


def render_report(
    subject: PublicSubject, meta: ReportMeta, font_path: Path, disputed: frozenset[int] = frozenset()
) -> bytes:
    """The report's PDF bytes: identity, then one section per category of the disclosure policy. Records in
    ``disputed`` (an accepted objection being handled) are marked 【异议处理中】."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the subsetter logs every table at INFO
    pdf = _Report(format="A4")
    pdf.meta = meta
    pdf.set_title(f"信用报告 - {subject.name}")
    pdf.set_author(meta.issuer)
    pdf.set_creator("transport-credit")
    pdf.set_creation_date(meta.issued_at)
    pdf.add_font(FONT, "", str(font_path), collection_font_number=_font_face(font_path))
    # The subset keeps the full font's bounding box: recomputing it from every CFF charstring (fontTools' default)
    # costs more than half of the report's generation time and changes nothing a viewer uses.
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(16, 12, 16)
    pdf.add_page()
    _qr(pdf, meta.verify_url, pdf.w - 16 - 32, 20, 32)
    pdf.set_font(FONT, size=20)
    pdf.cell(pdf.w - 32 - 36, 12, "信用报告", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.cell(pdf.w - 32 - 36, 6, f"出具单位：{meta.issuer}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    local = meta.issued_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    pdf.cell(
        pdf.w - 32 - 36, 6, f"出具时间：{local:%Y年%m月%d日 %H:%M}（北京时间）", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.cell(pdf.w - 32 - 36, 6, f"信息截至：{meta.as_of:%Y年%m月%d日}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.cell(pdf.w - 32 - 36, 8, f"验证码：{meta.code}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), 56))
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(90)
    pdf.multi_cell(
        0,
        4.5,
        "本报告内容为截至上述日期在本网站依法公示的信用信息（社会公开部分），不含已修复、已撤销或已超过公示期的信息；"
        "标注【异议处理中】的信息，信用主体提出的异议正在核实处理。"
        f"扫描二维码或访问 {meta.verify_url} 可核验本报告；上传报告文件可校验其是否被篡改。",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)
    pdf.ln(3)

    def section(title: str) -> None:
        pdf.set_font(FONT, size=13)
        pdf.set_draw_color(30, 80, 160)
        pdf.cell(0, 9, title, border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    section("一、主体身份信息")
    _kv(pdf, "主体名称", subject.name)
    _kv(pdf, "主体类别", subject.kind_label)
    _kv(pdf, "统一社会信用代码", subject.uscc or "—")
    _kv(pdf, "所在地区", subject.region_name or "—")
    numerals = "二三四五六七八九十"
    for index, (code, title, records) in enumerate(subject.sections):
        pdf.ln(2)
        count = subject.counts.get(code, 0)
        section(f"{numerals[index % len(numerals)]}、{title}（{count} 条）")
        if not records:
            pdf.set_font(FONT, size=9.5)
            pdf.set_text_color(110)
            pdf.cell(0, 6, "无公示信息", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0)
            continue
        for rec in records[:MAX_PER_SECTION]:
            _record(pdf, rec, rec.id in disputed)
        if count > MAX_PER_SECTION:
            pdf.set_font(FONT, size=9)
            pdf.cell(
                0, 6, f"另有 {count - MAX_PER_SECTION} 条，详见网站信用主体页面。", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
    return bytes(pdf.output())
