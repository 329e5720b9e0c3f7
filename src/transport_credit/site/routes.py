"""Pages of the public website. Thin: parse the request, call one service in a read (or unit of work), render.

Errors from the services become a Chinese error page with the error's status (never a 500 for bad input).
Downloads and report generation are rate-limited per client address (:mod:`transport_credit.site.limits`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from transport_credit.auth.models import Department
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.province import ProvinceConfig
from transport_credit.catalog.service import active_catalog
from transport_credit.commitments import rules as commitment_rules
from transport_credit.common.errors import CreditError, InvalidInput, NotFound
from transport_credit.db.base import MAX_ID  # ids beyond it do not exist (and must not reach the database)
from transport_credit.db.uow import Database
from transport_credit.disclosure import inventory
from transport_credit.disclosure import service as disclosure
from transport_credit.disclosure.rules import china_today, load_policy
from transport_credit.disclosure.schema import DisclosurePolicy
from transport_credit.disclosure.service import ListFilter, shown_filter
from transport_credit.identifiers.regions import region_name
from transport_credit.incentives import rules as xinyi_rules
from transport_credit.incentives import service as xinyi
from transport_credit.lists.rules import LIST_TYPE_LABELS, MATTER_KIND_LABELS, list_rules
from transport_credit.portal import declarations, handling
from transport_credit.portal import rules as portal_rules
from transport_credit.portal import service as portal
from transport_credit.records.models import CreditRecord
from transport_credit.reminders import rules as reminder_rules
from transport_credit.reminders import service as reminders
from transport_credit.reminders.channels import channel_for
from transport_credit.search import service as search
from transport_credit.settings import Settings
from transport_credit.site import limits
from transport_credit.site.render import STATIC_DIR, render
from transport_credit.subjects.models import Subject

PAGE_SIZE = 20
MAX_UPLOAD = 20 * 1024 * 1024
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
NAV = (
    ("home", "首页", "/"),
    ("disclosures", "双公示", "/disclosures"),
    ("lists", "红黑名单", "/lists"),
    ("commitments", "信用承诺", "/commitments"),
    ("evaluations", "信用评价", "/evaluations"),
    ("cases", "典型案例", "/cases"),
    ("policies", "政策文件", "/policies"),
    ("notices", "通知公告", "/notices"),
    ("integrity", "政务诚信", "/integrity"),
    ("verify", "报告核验", "/verify"),
    ("apply", "异议与修复", "/apply"),
    ("declare", "自主申报", "/declare"),
)
STATS_TTL = 300.0
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _province(request: Request) -> ProvinceConfig:
    config: ProvinceConfig | None = getattr(request.app.state, "site_province", None)
    if config is None:
        config = load_province(_settings(request).province)
        request.app.state.site_province = config
    return config


def page(request: Request, template: str, active: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    config = _province(request)
    ctx: dict[str, Any] = {
        "website_title": config.website_title,
        "authority_name": config.authority_name,
        "credit_office": config.credit_office,
        "nav": [{"key": k, "label": label, "href": href} for k, label, href in NAV],
        "active": active,
        "q": "",
    }
    ctx.update(context)
    response = HTMLResponse(render(template, ctx), status_code=status_code)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _error_page(request: Request, status: int, message: str, code: str) -> HTMLResponse:
    titles = {
        400: "请求有误",
        404: "未找到",
        405: "请求方式有误",
        409: "操作冲突",
        413: "文件过大",
        422: "输入有误",
        429: "访问过于频繁",
    }
    title = titles.get(status, "无法完成操作" if status < 500 else "服务暂不可用")
    response = page(request, "error.html", "", status_code=status, title=title, message=message, code=code)
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response


def router_error_page(request: Request, status: int) -> HTMLResponse:
    """The page for what the router itself refuses (no page at this address; a method the page does not take):
    the website's error page rather than the framework's JSON."""
    if status == 405:
        return _error_page(request, 405, "该页面不支持此请求方式，请从页面上的链接或按钮进入", "method_not_allowed")
    if status == 404:
        return _error_page(request, 404, "页面不存在", "page_not_found")
    return _error_page(request, status, "请求无法处理", "http_error")


class SiteRoute(APIRoute):
    """Maps service errors to Chinese error pages (the app's JSON handlers stay for the API)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def site_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except CreditError as exc:
                return _error_page(request, exc.status, exc.message, exc.code)
            except RequestValidationError:
                return _error_page(request, 422, "查询条件格式不正确，请检查后重试", "invalid_request")
            except StarletteHTTPException as exc:
                message = "页面不存在" if exc.status_code == 404 else "请求无法处理"
                return _error_page(request, exc.status_code, message, "http_error")

        return site_handler


router = APIRouter(route_class=SiteRoute, include_in_schema=False)


def _read(request: Request, fn: Callable[[Session], Any]) -> Any:
    """Run ``fn`` in a read-only session; loaded objects are detached with their state (rendered afterwards)."""
    with _db(request).read() as session:
        result = fn(session)
        session.expunge_all()
        return result


def _write(request: Request, fn: Callable[[Session], Any]) -> Any:
    with _db(request).unit_of_work() as session:
        return fn(session)


# --- static files -----------------------------------------------------------------------------------------------


@router.get("/static/site/{name}")
def static_file(name: str) -> Response:
    if "/" in name or "\\" in name or name.startswith("."):
        raise NotFound("文件不存在", code="static_not_found")
    path = STATIC_DIR / PurePath(name).name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or not path.is_file():
        raise NotFound("文件不存在", code="static_not_found")
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


# --- home and search ----------------------------------------------------------------------------------------------

_stats_lock = threading.Lock()


def _stats(request: Request) -> dict[str, int]:
    """Counts on the home page, cached for a few minutes (they scan indexes, not worth doing per request)."""
    cached: tuple[float, dict[str, int]] | None = getattr(request.app.state, "site_stats", None)
    if cached is not None and time.monotonic() - cached[0] < STATS_TTL:
        return cached[1]
    with _stats_lock:
        policy = load_policy()
        today = china_today()
        week_ago = today - dt.timedelta(days=7)

        def count(session: Session) -> dict[str, int]:
            R = CreditRecord
            out = {"subjects": int(session.scalar(select(func.count()).select_from(Subject)) or 0)}
            for code in (*policy.dual_publicity, *policy.lists):
                out[f"week_{code}"] = int(
                    session.scalar(
                        select(func.count())
                        .select_from(R)
                        .where(R.category == code, R.decision_date >= week_ago, shown_filter(policy, today))
                    )
                    or 0
                )
            for code in policy.lists:
                out[code] = int(
                    session.scalar(
                        select(func.count()).select_from(R).where(R.category == code, shown_filter(policy, today))
                    )
                    or 0
                )
            return out

        stats: dict[str, int] = _read(request, count)
        request.app.state.site_stats = (time.monotonic(), stats)
        return stats


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    def load(session: Session) -> dict[str, Any]:
        return {
            "latest": disclosure.latest_disclosures(session, limit=10),
            "notices": portal.published_content(session, "notice", limit=5),
            "policies": portal.published_content(session, "policy", limit=5),
        }

    data = _read(request, load)
    return page(request, "home.html", "home", stats=_stats(request), **data)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    hits = _read(request, lambda s: search.search(s, q, limit=50)) if q.strip() else []
    too_short = bool(q.strip()) and len(q.strip()) < 2
    return page(request, "search.html", "", q=q, hits=hits, too_short=too_short)


@router.get("/search/suggest")
def suggest(request: Request, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Search-as-you-type: a few matches as JSON for the search box."""
    limits.enforce(request, "suggest")
    hits = _read(request, lambda s: search.search(s, q, limit=8))
    items = [
        {"id": h.id, "name": h.name, "uscc": h.uscc, "region": h.region_name, "href": f"/subjects/{h.id}"} for h in hits
    ]
    return JSONResponse({"q": q, "items": items}, headers={"Cache-Control": "no-cache"})


# --- subject credit page (一户式) and records ----------------------------------------------------------------------


@router.get("/subjects/{subject_id}", response_class=HTMLResponse)
def subject_page(request: Request, subject_id: IdPath) -> Response:
    settings = _settings(request)

    def load(session: Session) -> tuple[disclosure.PublicSubject, set[int], xinyi.SubjectBenefits]:
        subject = disclosure.public_subject(session, subject_id, per_section=100)
        ids = [r.id for _c, _t, records in subject.sections for r in records]
        benefits = xinyi.subject_benefits(session, settings, subject.id)
        return subject, portal.records_under_objection(session, ids), benefits

    subject, disputed, benefits = _read(request, load)
    return page(request, "subject.html", "", subject=subject, disputed=disputed, benefits=benefits)


@router.post("/subjects/{subject_id}/report")
def subject_report(request: Request, subject_id: IdPath) -> Response:
    """Issue and download the subject's credit report (PDF)."""
    limits.enforce(request, "report")
    settings = _settings(request)
    base = settings.public_base_url or str(request.base_url)
    issuer = _province(request).website_title
    issued = _write(
        request,
        lambda s: portal.issue_report(s, settings, subject_id, base_url=base, issuer=issuer, font=settings.report_font),
    )
    quoted = urllib.parse.quote(issued.filename)
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"report-{issued.code}.pdf\"; filename*=UTF-8''{quoted}",
            "X-Report-Code": issued.code,
            "Cache-Control": "no-store",
        },
    )


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: IdPath) -> Response:
    def load(session: Session) -> tuple[disclosure.PublicRecord, set[int], dt.date | None]:
        record = disclosure.public_record(session, record_id)
        opens = portal.repair_opens_on(session, record.id)
        return record, portal.records_under_objection(session, [record.id]), opens

    record, disputed, repair_opens = _read(request, load)
    return page(
        request,
        "record.html",
        "",
        record=record,
        disputed=record.id in disputed,
        repair_opens=repair_opens,
        today=china_today(),
    )


# --- lists: 双公示 and red/black/watch lists -----------------------------------------------------------------------


def _date_param(value: str | None, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{label}格式应为 YYYY-MM-DD", code="invalid_date") from exc


class ListParams:
    """Query parameters of a public list (shared by the page and its CSV/JSON downloads)."""

    def __init__(
        self,
        request: Request,
        kind: Annotated[str | None, Query(max_length=20)] = None,
        domain: Annotated[str | None, Query(max_length=40)] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        region: Annotated[str | None, Query(max_length=6)] = None,
        date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
        date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
        page_no: Annotated[int, Query(alias="page", ge=1, le=5000)] = 1,
    ) -> None:
        self.kind = kind or None
        self.domain = domain or None
        self.department = department or None
        self.region = region or None
        self.date_from = date_from or None
        self.date_to = date_to or None
        self.page_no = page_no
        # Public fields the policy lets a list be filtered by (信用承诺: 承诺类型, 履约状态; 信用评价: 信用等级),
        # named by their keys in the query string; whether key and value suit the list is the disclosure service's
        # check.
        keys = {k for keys in load_policy().field_filters.values() for k in keys}
        self.fields = {k: v[:100] for k, v in request.query_params.items() if k in keys and v}

    def filter(self, allowed: list[str]) -> ListFilter:
        if self.kind and self.kind not in allowed:
            raise InvalidInput(f"不支持的信息类别：{self.kind}", code="category_not_public")
        return ListFilter(
            categories=(self.kind,) if self.kind else tuple(allowed),
            domain=self.domain,
            department=self.department,
            region=self.region,
            date_from=_date_param(self.date_from, "开始日期"),
            date_to=_date_param(self.date_to, "结束日期"),
            fields=tuple(sorted(self.fields.items())),
        )

    def query(self, **override: Any) -> str:
        params = {
            "kind": self.kind,
            "domain": self.domain,
            "department": self.department,
            "region": self.region,
            "from": self.date_from,
            "to": self.date_to,
            **self.fields,
        }
        params.update(override)
        return urllib.parse.urlencode({k: v for k, v in params.items() if v})


ListDep = Annotated[ListParams, Depends()]


# Public list sections: path → (title, the policy's attribute naming its categories).
SECTIONS = {
    "disclosures": ("双公示", "dual_publicity"),
    "lists": ("红黑名单", "lists"),
    "commitments": ("信用承诺", "commitments"),
    "evaluations": ("信用评价", "evaluations"),
}


def _section_categories(policy: DisclosurePolicy, section: str) -> list[str]:
    categories: list[str] = getattr(policy, SECTIONS[section][1])
    return categories


def _list_page(request: Request, params: ListParams, section: str) -> Response:
    policy = load_policy()
    allowed = _section_categories(policy, section)
    f = params.filter(allowed)
    config = _province(request)

    def load(session: Session) -> dict[str, Any]:
        catalog = active_catalog(session)
        result = disclosure.public_records(session, f, offset=(params.page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        departments = session.execute(
            select(Department.code, Department.name).where(Department.active.is_(True)).order_by(Department.code)
        ).all()
        kinds = [(c, catalog.category(c).name) for c in allowed if catalog.has_category(c)]
        domains: list[str] = []
        for c in allowed:
            if catalog.has_category(c):
                cat = catalog.category(c)
                for d in cat.domains:
                    if d.name not in domains:
                        domains.append(d.name)
        disputed = portal.records_under_objection(session, [r.id for r in result.items])
        # The field filters every category of the section offers (信用承诺: 承诺类型, 履约状态; 信用评价: 信用等级).
        offered = [disclosure.filter_options(policy, catalog, c) for c in allowed if catalog.has_category(c)]
        field_filters = [
            (key, name, values)
            for key, (name, values) in (offered[0] if offered else {}).items()
            if all(key in o for o in offered)
        ]
        return {
            "result": result,
            "departments": departments,
            "kinds": kinds,
            "domains": domains,
            "disputed": disputed,
            "field_filters": field_filters,
            # field key → the catalog's Chinese name (public record views are keyed by the name)
            "field_names": {fd.key: fd.name for c, _ in kinds for fd in catalog.category(c).fields},
        }

    data = _read(request, load)
    regions = [(code, region_name(code) or code) for code in config.cities]
    title = SECTIONS[section][0]
    return page(
        request,
        "list.html",
        section,
        section=section,
        title=title,
        params=params,
        regions=regions,
        base_query=params.query(),
        **data,
    )


@router.get("/disclosures", response_class=HTMLResponse)
def disclosures(request: Request, params: ListDep) -> Response:
    return _list_page(request, params, "disclosures")


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, params: ListDep) -> Response:
    return _list_page(request, params, "lists")


def _download(request: Request, params: ListParams, section: str, fmt: str) -> Response:
    limits.enforce(request, "download")
    allowed = _section_categories(load_policy(), section)
    f = params.filter(allowed)

    def read(s: Session) -> tuple[list[disclosure.PublicRecord], set[int]]:
        found = disclosure.export_records(s, f)
        return found, portal.open_data_disputed(s, found)

    records, disputed = _read(request, read)
    stamp = china_today().strftime("%Y%m%d")
    name = f"{section}-{params.kind or 'all'}-{stamp}.{fmt}"
    if fmt == "csv":
        body, media = portal.to_csv(records, disputed), "text/csv; charset=utf-8"
    else:
        body, media = portal.to_json(records, disputed), "application/json"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/commitments", response_class=HTMLResponse)
def commitments_page(request: Request, params: ListDep) -> Response:
    return _list_page(request, params, "commitments")


@router.get("/evaluations", response_class=HTMLResponse)
def evaluations_page(request: Request, params: ListDep) -> Response:
    return _list_page(request, params, "evaluations")


@router.get("/evaluations.csv")
def evaluations_csv(request: Request, params: ListDep) -> Response:
    return _download(request, params, "evaluations", "csv")


@router.get("/evaluations.json")
def evaluations_json(request: Request, params: ListDep) -> Response:
    return _download(request, params, "evaluations", "json")


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request) -> Response:
    """信用信息公开目录: what the website publishes of each category, masked how, for how long, and where."""
    policy = load_policy()
    categories = _read(request, lambda s: inventory.public_inventory(active_catalog(s), policy))
    return page(request, "catalog.html", "catalog", policy=policy, categories=categories)


@router.get("/lists/measures", response_class=HTMLResponse)
def measures_page(request: Request) -> Response:
    """联合奖惩措施清单: the measures with their basis, whom and which matters they apply to, who implements them."""
    rules = list_rules(_settings(request).province)
    incentives = [m for m in rules.measures.values() if m.kind == "incentive"]
    punishments = [m for m in rules.measures.values() if m.kind != "incentive"]
    return page(
        request,
        "measures.html",
        "lists",
        rules=rules,
        groups=[("守信激励措施", "incentives", incentives), ("失信惩戒措施", "punishments", punishments)],
        list_labels={**LIST_TYPE_LABELS, **{k.code: k.name for k in rules.list_kinds.values()}},
        matter_kinds=MATTER_KIND_LABELS,
    )


@router.get("/xinyi", response_class=HTMLResponse)
def xinyi_page(request: Request) -> Response:
    """“信易+”守信激励: the scenarios by family, who qualifies, who provides them, where they run, how to get them."""
    settings = _settings(request)
    doc = xinyi.scenarios(settings)
    lrules = list_rules(settings.province)

    def load(session: Session) -> tuple[xinyi.CoverageView, dict[str, list[str]]]:
        view = xinyi.coverage(session, settings)
        where: dict[str, list[str]] = {}
        for launch in xinyi.launches(session, settings, day=view.day):
            if launch.running:
                where.setdefault(launch.scenario_code, []).append(launch.region_name)
        return view, where

    view, where = _read(request, load)
    return page(
        request,
        "xinyi.html",
        "lists",
        doc=doc,
        coverage=view,
        where=where,
        conditions={s.code: xinyi_rules.conditions(lrules, s) for s in doc.scenarios},
    )


@router.get("/commitments/matters", response_class=HTMLResponse)
def commitment_matters_page(request: Request) -> Response:
    province = _settings(request).province
    doc, rules = commitment_rules.commitment_matters(province), list_rules(province)
    rows = [(m, commitment_rules.matter_name(rules, m)) for m in doc.matters]
    return page(request, "commitment_matters.html", "commitments", doc=doc, rows=rows)


MatterCode = Annotated[str, Path(min_length=1, max_length=40)]


def _commitment_matter(
    request: Request, code: str
) -> tuple[commitment_rules.CommitmentMatters, commitment_rules.CommitmentMatter, str, str]:
    province = _settings(request).province
    doc, rules = commitment_rules.commitment_matters(province), list_rules(province)
    m = doc.matter(code.strip().upper())
    return doc, m, commitment_rules.matter_name(rules, m), commitment_rules.filled_template(doc, rules, m)


@router.get("/commitments/matters/{code}", response_class=HTMLResponse)
def commitment_matter_page(request: Request, code: MatterCode) -> Response:
    doc, m, name, letter = _commitment_matter(request, code)
    return page(request, "commitment_matter.html", "commitments", doc=doc, m=m, name=name, letter=letter)


@router.get("/commitments/matters/{code}/letter.txt")
def commitment_letter(request: Request, code: MatterCode) -> Response:
    """The commitment letter as a text file (UTF-8 with BOM and CRLF, so Windows' Notepad and Word open it)."""
    _, m, _, letter = _commitment_matter(request, code)
    body = ("\ufeff" + letter.replace("\r\n", "\n").replace("\n", "\r\n")).encode("utf-8")
    title = "容缺受理承诺书" if m.mode == "容缺受理" else "告知承诺书"
    name = urllib.parse.quote(f"{title}-{m.code}.txt")
    return Response(
        body,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"letter-{m.code}.txt\"; filename*=UTF-8''{name}"},
    )


@router.get("/disclosures.csv")
def disclosures_csv(request: Request, params: ListDep) -> Response:
    return _download(request, params, "disclosures", "csv")


@router.get("/disclosures.json")
def disclosures_json(request: Request, params: ListDep) -> Response:
    return _download(request, params, "disclosures", "json")


@router.get("/lists.csv")
def lists_csv(request: Request, params: ListDep) -> Response:
    return _download(request, params, "lists", "csv")


@router.get("/lists.json")
def lists_json(request: Request, params: ListDep) -> Response:
    return _download(request, params, "lists", "json")


@router.get("/commitments.csv")
def commitments_csv(request: Request, params: ListDep) -> Response:
    return _download(request, params, "commitments", "csv")


@router.get("/commitments.json")
def commitments_json(request: Request, params: ListDep) -> Response:
    return _download(request, params, "commitments", "json")


# --- typical cases, policies and notices ------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> Response:
    from transport_credit.lists import cases

    items = _read(request, lambda s: cases.published_cases(s, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE))
    return page(
        request, "cases.html", "cases", cases=items[:PAGE_SIZE], page_no=page_no, has_more=len(items) > PAGE_SIZE
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: IdPath) -> Response:
    from transport_credit.lists import cases

    item = _read(request, lambda s: cases.get_published_case(s, case_id))
    return page(request, "case.html", "cases", case=item)


def _content_list(request: Request, kind: str, active: str, page_no: int) -> Response:
    items = _read(
        request, lambda s: portal.published_content(s, kind, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE)
    )
    title = portal_rules.CONTENT_KINDS[kind]
    return page(
        request,
        "content_list.html",
        active,
        title=title,
        items=items[:PAGE_SIZE],
        page_no=page_no,
        has_more=len(items) > PAGE_SIZE,
    )


@router.get("/policies", response_class=HTMLResponse)
def policies(request: Request, page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> Response:
    return _content_list(request, "policy", "policies", page_no)


@router.get("/notices", response_class=HTMLResponse)
def notices(request: Request, page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> Response:
    return _content_list(request, "notice", "notices", page_no)


@router.get("/integrity", response_class=HTMLResponse)
def integrity(request: Request, page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> Response:
    """政务诚信公示: the department's own integrity (民生实事进展, 依法行政, 权责清单, 政务承诺)."""
    return _content_list(request, "integrity", "integrity", page_no)


@router.get("/content/{content_id}", response_class=HTMLResponse)
def content_page(request: Request, content_id: IdPath) -> Response:
    item = _read(request, lambda s: portal.published_item(s, content_id))
    path = portal_rules.CONTENT_PATHS[item.kind]
    return page(
        request,
        "content.html",
        path.lstrip("/"),
        item=item,
        column=(portal_rules.CONTENT_KINDS[item.kind], path),
    )


# --- report verification ------------------------------------------------------------------------------------------


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, code: Annotated[str, Query(max_length=40)] = "") -> Response:
    if code.strip():
        return RedirectResponse(f"/verify/{urllib.parse.quote(code.strip())}", status_code=303)
    return page(request, "verify.html", "verify", result=None, code="")


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_code(request: Request, code: str) -> Response:
    settings = _settings(request)
    result = _read(request, lambda s: portal.verify_report(s, settings, code))
    return page(request, "verify.html", "verify", result=result, code=result.code)


async def _form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD:
        raise InvalidInput("上传的文件过大（不超过 20 MB）", code="upload_too_large")
    try:
        return await request.form(max_files=1, max_fields=20)
    except Exception as exc:  # malformed body
        raise InvalidInput("提交的表单无法解析，请重试", code="invalid_form") from exc


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/verify", response_class=HTMLResponse)
async def verify_upload(request: Request) -> Response:
    limits.enforce(request, "download")
    form = await _form(request)
    code = _text(form, "code")
    upload = form.get("file")
    data: bytes | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidInput("上传的文件过大（不超过 20 MB）", code="upload_too_large")
    if not code:
        raise InvalidInput("请输入报告上的验证码", code="report_code_required")
    settings = _settings(request)
    result = await run_in_threadpool(_read, request, lambda s: portal.verify_report(s, settings, code, data))
    return page(request, "verify.html", "verify", result=result, code=result.code)


# --- objection and repair applications --------------------------------------------------------------------------


@router.get("/apply", response_class=HTMLResponse)
def apply_form(
    request: Request,
    subject: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    record: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[str, Query(max_length=20)] = "objection",
) -> Response:
    data = _read(request, lambda s: _apply_context(s, record, subject))
    return page(
        request,
        "apply.html",
        "apply",
        kind=kind,
        errors={},
        values={},
        limits=_limits(request),
        today=china_today(),
        **data,
    )


def _apply_context(session: Session, record_id: int | None, subject_id: int | None) -> dict[str, Any]:
    """The application form's subject and record, and when a repair of the record can be granted."""
    rec = disclosure.public_record(session, record_id) if record_id else None
    subject_id = rec.subject_id if rec else subject_id
    subj = disclosure.public_subject(session, subject_id, per_section=0) if subject_id else None
    opens = portal.repair_opens_on(session, rec.id) if rec else None
    return {"record": rec, "subject": subj, "repair_opens": opens}


def _limits(request: Request) -> dict[str, Any]:
    """The handling deadlines in force today, in working days, to tell the applicant what to expect."""
    rule_set = handling.rule_set_on(handling.handling_rules(_settings(request).province), china_today())
    return {"objection": rule_set.objection, "repair": rule_set.repair}


def _form_id(value: str) -> int | None:
    """A positive id from a form field, or None (never a number the database cannot hold)."""
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


@router.post("/apply", response_class=HTMLResponse)
async def apply_submit(request: Request) -> Response:
    limits.enforce(request, "apply")
    form = await _form(request)
    values = {k: _text(form, k) for k in ("kind", "subject_id", "record_id", "applicant_name", "contact", "reason")}
    subject_id = _form_id(values["subject_id"])
    if subject_id is None:
        raise InvalidInput("请先查询并选择信用主体，再提交申请", code="subject_required")
    data = portal.ApplicationInput(
        kind=values["kind"],
        subject_id=subject_id,
        record_id=_form_id(values["record_id"]),
        applicant_name=values["applicant_name"],
        contact=values["contact"],
        reason=values["reason"],
    )
    settings = _settings(request)
    try:
        app = await run_in_threadpool(_write, request, lambda s: portal.submit_application(s, settings, data))
    except InvalidInput as exc:
        if exc.code != "invalid_application":
            raise

        ctx = await run_in_threadpool(_read, request, lambda s: _apply_context(s, data.record_id, data.subject_id))
        return page(
            request,
            "apply.html",
            "apply",
            422,
            kind=data.kind,
            errors=exc.details,
            values=values,
            limits=_limits(request),
            today=china_today(),
            **ctx,
        )
    return page(request, "applied.html", "apply", application=app)


@router.get("/apply/status", response_class=HTMLResponse)
def apply_status(request: Request, no: Annotated[str, Query(max_length=30)] = "") -> Response:
    app = _read(request, lambda s: portal.application_status(s, no)) if no.strip() else None
    return page(request, "apply_status.html", "apply", application=app, no=no)


# --- 信用信息自主申报 (self-declared credit information) ------------------------------------------------------------


@router.get("/declare", response_class=HTMLResponse)
def declare_form(
    request: Request,
    subject: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    def load(session: Session) -> dict[str, Any]:
        subj = disclosure.public_subject(session, subject, per_section=0) if subject else None
        return {"subject": subj, "forms": declarations.declaration_forms(session)}

    ctx = _read(request, load)
    values = {"category": category} if category in {f.category for f in ctx["forms"]} else {}
    return page(request, "declare.html", "declare", errors={}, values=values, **ctx)


@router.post("/declare", response_class=HTMLResponse)
async def declare_submit(request: Request) -> Response:
    limits.enforce(request, "apply")
    form = await _form(request)
    subject_id = _form_id(_text(form, "subject_id"))
    if subject_id is None:
        raise InvalidInput("请先查询并选择信用主体，再提交申报", code="subject_required")
    category = _text(form, "category")
    values = {k: _text(form, k) for k in form if isinstance(k, str)}
    fields = {k[2:]: v for k, v in values.items() if k.startswith("f_")}  # declared fields: f_<key>
    settings = _settings(request)

    def write(session: Session) -> Any:
        return declarations.submit_declaration(
            session,
            settings,
            subject_id=subject_id,
            category=category,
            fields=fields,
            applicant_name=values.get("applicant_name", ""),
            contact=values.get("contact", ""),
            statement=values.get("statement", ""),
        )

    try:
        declared = await run_in_threadpool(_write, request, write)
    except InvalidInput as exc:
        if exc.code != "invalid_declaration":
            raise

        def load(session: Session) -> dict[str, Any]:
            subj = disclosure.public_subject(session, subject_id, per_section=0)
            return {"subject": subj, "forms": declarations.declaration_forms(session)}

        ctx = await run_in_threadpool(_read, request, load)
        return page(request, "declare.html", "declare", 422, errors=exc.details, values=values, **ctx)
    return page(request, "declared.html", "declare", declaration=declared)


@router.get("/declare/status", response_class=HTMLResponse)
def declare_status(request: Request, no: Annotated[str, Query(max_length=30)] = "") -> Response:
    found = _read(request, lambda s: declarations.declaration_status(s, no)) if no.strip() else None
    return page(request, "declare_status.html", "declare", declaration=found, no=no, labels=declarations.STATUS_LABELS)


# --- 信用提醒订阅 (reminder subscriptions) -------------------------------------------------------------------------


@router.get("/subjects/{subject_id}/reminders", response_class=HTMLResponse)
def subscribe_form(request: Request, subject_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    subject = _read(request, lambda s: disclosure.public_subject(s, subject_id, per_section=0))
    return page(request, "subscribe.html", "search", subject=subject, errors={}, values={})


@router.post("/subjects/{subject_id}/reminders", response_class=HTMLResponse)
async def subscribe_submit(request: Request, subject_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    limits.enforce(request, "apply")
    form = await _form(request)
    values = {k: _text(form, k) for k in ("contact_name", "phone")}
    settings = _settings(request)

    def write(session: Session) -> tuple[Any, int, str]:
        sub, code = reminders.subscribe(
            session, settings, subject_id, contact_name=values["contact_name"], phone=values["phone"]
        )
        name = disclosure.public_subject(session, subject_id, per_section=0).name
        session.flush()
        session.expunge(sub)
        return sub, code.id, name

    try:
        sub, code_id, name = await run_in_threadpool(_write, request, write)
    except InvalidInput as exc:
        if exc.code not in ("invalid_subscription", "code_limit_reached"):
            raise
        errors = exc.details or {"phone": exc.message}
        subject = await run_in_threadpool(
            _read, request, lambda s: disclosure.public_subject(s, subject_id, per_section=0)
        )
        return page(request, "subscribe.html", "search", 422, subject=subject, errors=errors, values=values)
    run = await run_in_threadpool(reminders.deliver, _db(request), settings, channel_for(settings), only=[code_id])
    return _confirm_page(request, sub, name, None if run.sent else "验证码暂未发出，请稍后重新获取验证码")


def _confirm_page(request: Request, sub: Any, subject_name: str, error: str | None, status: int = 200) -> Response:
    minutes = reminder_rules.reminder_rules(_settings(request).province).verification.valid_minutes
    return page(
        request,
        "subscribe_confirm.html",
        "search",
        status,
        subscription=sub,
        subject_name=subject_name,
        minutes=minutes,
        error=error,
    )


@router.post("/reminders/confirm", response_class=HTMLResponse)
async def subscribe_confirm(request: Request) -> Response:
    limits.enforce(request, "apply")
    form = await _form(request)
    settings = _settings(request)

    def write(session: Session) -> tuple[Any, str]:
        result = reminders.confirm(session, settings, _text(form, "no"), _text(form, "code"))
        name = disclosure.public_subject(session, result.subscription.subject_id, per_section=0).name
        session.flush()
        session.expunge(result.subscription)
        return result, name

    result, name = await run_in_threadpool(_write, request, write)
    if not result.ok:
        return _confirm_page(request, result.subscription, name, result.error, 422)
    if result.reminder_id is not None:  # the confirmation goes at once (unless in the quiet hours)
        only = [result.reminder_id]
        await run_in_threadpool(reminders.deliver, _db(request), settings, channel_for(settings), only=only)
    return page(request, "subscribed.html", "search", subscription=result.subscription, subject_name=name)


@router.get("/reminders/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: Annotated[str, Path(max_length=40)]) -> Response:
    def load(session: Session) -> tuple[Any, str]:
        sub = reminders.subscription_by_token(session, token)
        return sub, disclosure.public_subject(session, sub.subject_id, per_section=0).name

    sub, name = _read(request, load)
    return page(request, "unsubscribe.html", "search", subscription=sub, subject_name=name, token=token)


@router.post("/reminders/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_submit(request: Request, token: Annotated[str, Path(max_length=40)]) -> Response:
    limits.enforce(request, "apply")

    def write(session: Session) -> tuple[Any, str]:
        sub = reminders.unsubscribe(session, token)
        name = disclosure.public_subject(session, sub.subject_id, per_section=0).name
        session.flush()
        session.expunge(sub)
        return sub, name

    sub, name = await run_in_threadpool(_write, request, write)
    return page(request, "unsubscribe.html", "search", subscription=sub, subject_name=name, token=token)


# --- anything else ------------------------------------------------------------------------------------------------


@router.get("/{rest:path}", response_class=HTMLResponse)
def not_found(rest: str) -> Response:
    raise NotFound("页面不存在", code="page_not_found")  # (paths under /api/ are answered by the API's fallback)
