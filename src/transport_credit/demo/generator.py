"""Deterministic generator of synthetic credit data (subjects, 行政许可, 行政处罚) for demos and benchmarks.

All codes are valid (GB 32100 / GB 11643 check characters), names are plausible Chinese names, and no real
person or company is described. Rows are dicts keyed by catalog field key; writers turn them into the files
offices actually send (CSV in GB18030 with the standard or legacy headers, XLSX).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from transport_credit.identifiers.uscc import uscc_check_char

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌鹏飞宇浩然子轩梓涵一诺欣怡晨阳雨泽俊"
    "辉海波亮成林峰丹萍"
)
BRANDS = [
    "顺达",
    "通达",
    "安捷",
    "恒运",
    "鑫源",
    "宏远",
    "中原",
    "天马",
    "金桥",
    "华通",
    "长风",
    "远航",
    "泰和",
    "永昌",
    "盛世",
    "众诚",
    "聚力",
    "新程",
    "路路通",
    "畅行",
    "大道",
    "鸿运",
    "平安",
    "信诚",
    "明德",
    "同心",
    "宇通",
    "佳禾",
    "豫龙",
    "九州",
    "腾飞",
    "博远",
    "锦程",
    "昊天",
    "瑞祥",
    "德润",
    "汇丰",
    "万里",
    "飞驰",
    "星河",
]
INDUSTRIES = (
    ("物流有限公司", "道路运输", "道路货物运输"),
    ("运输有限公司", "道路运输", "道路货物运输"),
    ("客运有限公司", "道路运输", "道路旅客运输"),
    ("汽车维修有限公司", "道路运输", "机动车维修"),
    ("驾驶员培训学校有限公司", "道路运输", "驾驶员培训"),
    ("出租汽车有限公司", "道路运输", "出租汽车"),
    ("公共交通有限公司", "道路运输", "城市公共交通"),
    ("路桥工程有限公司", "公路建设", "公路施工"),
    ("公路工程有限公司", "公路建设", "公路施工"),
    ("工程监理咨询有限公司", "公路建设", "公路监理"),
    ("航运有限公司", "水路运输", "水路货物运输"),
    ("港务有限公司", "港口", "港口经营"),
)
VIOLATIONS = {
    "道路货物运输": [
        ("超限运输", "驾驶货运车辆超限运输，车货总质量超过限定标准", "《公路安全保护条例》第六十四条"),
        (
            "未按规定随车携带道路运输证",
            "从事道路货物运输时未随车携带《道路运输证》",
            "《中华人民共和国道路运输条例》第六十八条",
        ),
        (
            "擅自改装已取得道路运输证的车辆",
            "擅自改装已取得《道路运输证》的车辆",
            "《中华人民共和国道路运输条例》第六十九条",
        ),
    ],
    "道路旅客运输": [
        ("不按批准的客运站点停靠", "客运班车不按批准的客运站点停靠", "《中华人民共和国道路运输条例》第六十八条"),
        ("客运车辆超员", "客运车辆载客超过核定人数", "《道路旅客运输及客运站管理规定》第九十七条"),
    ],
    "机动车维修": [
        ("使用假冒伪劣配件维修机动车", "使用假冒伪劣配件维修机动车", "《中华人民共和国道路运输条例》第七十二条"),
        ("未按规定建立维修档案", "未按规定建立机动车维修档案", "《机动车维修管理规定》第五十三条"),
    ],
    "驾驶员培训": [("未按规定进行培训", "未按照国家有关规定开展驾驶员培训", "《机动车驾驶员培训管理规定》第五十二条")],
    "出租汽车": [
        ("巡游出租汽车拒载", "巡游出租汽车驾驶员无正当理由拒载乘客", "《巡游出租汽车经营服务管理规定》第四十八条")
    ],
    "城市公共交通": [("未按规定运营线路", "公交车辆未按核准线路运营", "《城市公共汽车和电车客运管理规定》第六十四条")],
    "公路施工": [
        ("未按规定办理施工许可", "公路施工未按规定办理施工许可手续", "《公路建设市场管理办法》第五十二条"),
        ("违法分包", "将承包的公路工程违法分包", "《公路建设市场管理办法》第五十三条"),
    ],
    "公路监理": [("监理人员未按规定到岗", "监理单位主要人员未按合同约定到岗履职", "《公路工程施工监理规范》")],
    "水路货物运输": [
        ("未按规定配备船员", "船舶未按规定配备持证船员", "《国内水路运输管理条例》第三十八条"),
        ("超越经营范围从事水路运输", "超越许可经营范围从事水路运输经营", "《国内水路运输管理条例》第三十四条"),
    ],
    "港口经营": [
        ("未依法取得港口经营许可从事经营", "未取得港口经营许可从事港口经营", "《中华人民共和国港口法》第四十八条")
    ],
    None: [
        ("未按规定办理施工许可", "公路施工未按规定办理施工许可手续", "《公路建设市场管理办法》第五十二条"),
        ("擅自占用公路", "擅自占用、挖掘公路", "《中华人民共和国公路法》第七十六条"),
    ],
}
LICENCES = {
    "道路运输": ("道路运输经营许可", "道路运输经营许可证", "从事道路普通货物运输经营"),
    "公路建设": ("公路建设项目施工许可", "施工许可决定书", "公路工程施工许可"),
    "水路运输": ("水路运输经营许可", "水路运输许可证", "国内水路普通货物运输"),
    "港口": ("港口经营许可", "港口经营许可证", "港口货物装卸、仓储经营"),
}


def uscc_for(region: str, body: str, rng: random.Random) -> str:
    """A random valid USCC: registering body + kind (e.g. '91'), region, 9-char organisation code, check."""
    org = "".join(rng.choice(ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    first17 = body + region + org
    return first17 + uscc_check_char(first17)


def citizen_id_for(region: str, rng: random.Random) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    first17 = region + birth.strftime("%Y%m%d") + f"{rng.randrange(0, 1000):03d}"
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@dataclass(frozen=True)
class DemoSubject:
    kind: str  # 法人及非法人组织 / 个体工商户 / 自然人
    name: str
    uscc: str | None
    id_number: str | None
    legal_rep: str | None
    region: str
    domain: str
    subdomain: str | None


def subjects(count: int, regions: Sequence[str], city_names: Mapping[str, str], seed: int = 7) -> list[DemoSubject]:
    """``count`` subjects: ~80% organisations, ~8% individual businesses, ~12% drivers (natural persons)."""
    rng = random.Random(seed)
    out: list[DemoSubject] = []
    seen: set[str] = set()
    while len(out) < count:
        region = rng.choice(list(regions))
        city = city_names.get(region, "")
        city_short = city.removesuffix("市").removesuffix("地区")
        roll = rng.random()
        if roll < 0.80:
            suffix, domain, sub = rng.choice(INDUSTRIES)
            name = f"{city_short}{rng.choice(BRANDS)}{suffix}"
            if name in seen:
                name = f"{city_short}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{suffix}"
            if name in seen:
                continue
            out.append(
                DemoSubject(
                    "法人及非法人组织", name, uscc_for(region, "91", rng), None, person_name(rng), region, domain, sub
                )
            )
        elif roll < 0.88:
            owner = person_name(rng)
            name = f"{city_short}{owner}{rng.choice(('汽车修理部', '货运部', '汽车美容店'))}"
            if name in seen:
                continue
            sub = "机动车维修" if "修理" in name or "美容" in name else "道路货物运输"
            out.append(
                DemoSubject("个体工商户", name, uscc_for(region, "92", rng), None, owner, region, "道路运输", sub)
            )
        else:
            name = person_name(rng)
            out.append(
                DemoSubject(
                    "自然人",
                    name,
                    None,
                    citizen_id_for(region, rng),
                    None,
                    region,
                    "道路运输",
                    rng.choice(("道路货物运输", "道路旅客运输", "出租汽车")),
                )
            )
        seen.add(out[-1].name)
    return out


@dataclass(frozen=True)
class Authority:
    name: str
    uscc: str
    short: str  # e.g. 豫交执 — prefix of document numbers


# Patterns the 监测分析 page can find in the demo: more decisions in the 春运 and summer peaks, and a campaign
# against overloading (治超) in the demo's last months, when half of the freight penalties are for 超限运输.
SEASON = {1: 1.15, 2: 1.3, 7: 1.1, 8: 1.15}  # month → relative number of decisions (others 1.0)
CAMPAIGN_VIOLATION = VIOLATIONS["道路货物运输"][0]  # 超限运输


def penalty_rows(
    subs: Sequence[DemoSubject],
    authority: Authority,
    start: dt.date,
    end: dt.date,
    count: int,
    rng: random.Random,
    serial_start: int = 1,
    campaign_from: dt.date | None = None,
) -> Iterator[dict[str, str]]:
    """行政处罚 rows keyed by field key, dated between ``start`` and ``end`` (weighted by :data:`SEASON`); from
    ``campaign_from`` on, half of the freight subjects' penalties are for overloading."""
    span = (end - start).days
    peak = max(SEASON.values())
    for n in range(count):
        s = rng.choice(subs)
        while True:
            decided = start + dt.timedelta(days=rng.randrange(0, span + 1))
            if rng.random() * peak <= SEASON.get(decided.month, 1.0):
                break
        viol, facts, basis = rng.choice(VIOLATIONS.get(s.subdomain, VIOLATIONS[None]))
        campaign = campaign_from is not None and decided >= campaign_from and s.subdomain == "道路货物运输"
        if campaign and rng.random() < 0.5:
            viol, facts, basis = CAMPAIGN_VIOLATION
        roll = rng.random()
        if roll < 0.12:
            ptype, content, fine = "警告", "警告", ""
        elif roll < 0.97:
            amount = rng.choice((200, 500, 1000, 2000, 3000, 5000, 10000, 20000, 30000, 50000))
            ptype, content, fine = "罚款", f"罚款人民币{amount}元", f"{amount / 10000:g}"
        else:
            ptype, content, fine = "吊销许可证件", "吊销道路运输经营许可证", ""
        row = {
            "subject_name": s.name,
            "subject_kind": s.kind,
            "uscc": s.uscc or "",
            "legal_rep": s.legal_rep or "",
            "id_type": "01" if s.id_number else "",
            "id_number": s.id_number or "",
            "decision_no": f"{authority.short}罚〔{decided.year}〕{serial_start + n:06d}号",
            "violation_type": viol,
            "violation_facts": f"当事人{facts}，经调查属实。",
            "penalty_basis": basis,
            "penalty_type": ptype,
            "penalty_content": content,
            "fine_amount": fine,
            "decision_date": decided.strftime("%Y/%m/%d"),
            "valid_until": (decided + dt.timedelta(days=365 * (3 if ptype == "吊销许可证件" else 1))).strftime(
                "%Y/%m/%d"
            ),
            "authority": authority.name,
            "authority_uscc": authority.uscc,
            "source_unit": authority.name,
            "source_unit_uscc": authority.uscc,
            "domain": s.domain,
            "subdomain": s.subdomain or "",
            "region_code": s.region,
        }
        yield row


def licence_rows(
    subs: Sequence[DemoSubject],
    authority: Authority,
    start: dt.date,
    end: dt.date,
    count: int,
    rng: random.Random,
    serial_start: int = 1,
) -> Iterator[dict[str, str]]:
    """行政许可 rows keyed by field key."""
    span = (end - start).days
    # Licences go to organisations and individual businesses; natural persons only if there is nobody else.
    pool = [x for x in subs if x.kind != "自然人"] or list(subs)
    for n in range(count):
        s = rng.choice(pool)
        decided = start + dt.timedelta(days=rng.randrange(0, span + 1))
        title, cert, content = LICENCES.get(s.domain, LICENCES["道路运输"])
        long_term = rng.random() < 0.1
        yield {
            "subject_name": s.name,
            "subject_kind": s.kind,
            "uscc": s.uscc or "",
            "legal_rep": s.legal_rep or "",
            "doc_name": f"{title}决定书",
            "decision_no": f"{authority.short}许〔{decided.year}〕{serial_start + n:06d}号",
            "license_type": "普通",
            "certificate_name": cert,
            "license_no": f"{s.region}{decided.year}{serial_start + n:06d}",
            "license_content": content,
            "decision_date": decided.strftime("%Y-%m-%d"),
            "valid_from": decided.strftime("%Y-%m-%d"),
            "valid_until": "2099-12-31" if long_term else (decided + dt.timedelta(days=365 * 4)).strftime("%Y-%m-%d"),
            "authority": authority.name,
            "authority_uscc": authority.uscc,
            "status": "有效",
            "source_unit": authority.name,
            "source_unit_uscc": authority.uscc,
            "domain": s.domain,
            "subdomain": s.subdomain or "",
            "region_code": s.region,
        }


def write_csv(
    path: Path,
    headers: Mapping[str, str],
    rows: Iterator[Mapping[str, str]] | Sequence[Mapping[str, str]],
    encoding: str = "gb18030",
) -> int:
    """Write rows with ``headers`` (field key → column title) in the given encoding; returns the row count."""
    n = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(headers.values()))
        keys = list(headers)
        for row in rows:
            writer.writerow([row.get(k, "") for k in keys])
            n += 1
    return n


def write_xlsx(
    path: Path,
    headers: Mapping[str, str],
    rows: Iterable[Mapping[str, str]],
    title: str | None = None,
) -> int:
    """An .xlsx as offices make them: optional merged title row above the header; returns the row count.

    Written directly as SpreadsheetML (inline strings, every cell text, one sheet) and streamed: openpyxl needs
    about 0.5 ms a row, which dominated building the demo province.
    """
    keys = list(headers)
    width = len(keys)
    last_col = _column_letter(width)
    n = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as fh:
            fh.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            r = 0
            if title:
                r += 1
                fh.write(_xlsx_row(r, [title]))
            r += 1
            fh.write(_xlsx_row(r, list(headers.values())))
            for row in rows:
                r += 1
                n += 1
                fh.write(_xlsx_row(r, [row.get(k, "") for k in keys]))
            fh.write("</sheetData>")
            if title and width > 1:
                fh.write(f'<mergeCells count="1"><mergeCell ref="A1:{last_col}1"/></mergeCells>')
            fh.write("</worksheet>")
    return n


def _column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xlsx_row(r: int, values: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{_column_letter(j)}{r}" t="inlineStr"><is><t xml:space="preserve">{xml_escape(v)}</t></is></c>'
        for j, v in enumerate(values, start=1)
        if v != ""
    )
    return f'<row r="{r}">{cells}</row>'


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
