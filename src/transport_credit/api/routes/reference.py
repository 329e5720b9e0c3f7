"""Reference data any valid key may read: the catalog, column mappings, departments, row-level codes; health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from transport_credit import __version__
from transport_credit.api import convert, schemas
from transport_credit.api.deps import ApiActor, DatabaseDep, SessionDep
from transport_credit.api.errors import error_responses
from transport_credit.auth.service import list_departments
from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.ingest.service import error_codes

router = APIRouter()

CategoryPath = Annotated[str, Path(description="信用信息类别代码（如 XZCF）或中文名称", max_length=64)]


def _category_out(cat: CategoryDef) -> schemas.CategoryOut:
    return schemas.CategoryOut.model_validate(cat.model_dump())


@router.get(
    "/catalog",
    response_model=schemas.CatalogOut,
    summary="信用信息目录",
    description="现行信用信息目录：各类别及其数据项（英文标识、中文名称、类型、是否必填、取值范围、公开属性）。",
    tags=["catalog"],
    responses=error_responses(401),
)
def catalog(session: SessionDep, _actor: ApiActor) -> schemas.CatalogOut:
    cat = active_catalog(session)
    return schemas.CatalogOut(version=cat.version, categories=[_category_out(c) for c in cat.categories()])


@router.get(
    "/catalog/{category}",
    response_model=schemas.CategoryOut,
    summary="一个信用信息类别",
    description="一个类别的数据项定义。",
    tags=["catalog"],
    responses=error_responses(401, 404, 422),
)
def catalog_category(category: CategoryPath, session: SessionDep, _actor: ApiActor) -> schemas.CategoryOut:
    return _category_out(convert.resolve_category(session, category))


@router.get(
    "/catalog/{category}/mappings",
    response_model=schemas.MappingList,
    summary="类别的表头映射",
    description="导入文件时能识别的旧版或其他系统的表头（表头文字 → 数据项英文标识）。",
    tags=["catalog"],
    responses=error_responses(401, 404, 422),
)
def catalog_mappings(category: CategoryPath, session: SessionDep, _actor: ApiActor) -> schemas.MappingList:
    catalog = active_catalog(session)
    cat = convert.find_category(catalog, category)
    items = [schemas.MappingOut.model_validate(m.model_dump()) for m in catalog.mappings_for(cat.code)]
    return schemas.MappingList(category=cat.code, items=items)


@router.get(
    "/departments",
    response_model=schemas.DepartmentList,
    summary="部门",
    description="在用的部门及其可报送的信用信息类别（数据来源单位）。",
    tags=["reference"],
    responses=error_responses(401),
)
def departments(session: SessionDep, _actor: ApiActor) -> schemas.DepartmentList:
    items = [schemas.DepartmentOut.model_validate(d) for d in list_departments(session)]
    return schemas.DepartmentList(items=items)


@router.get(
    "/error-codes",
    response_model=schemas.ErrorCodeList,
    summary="行级错误码",
    description="推送结果和问题数据中 errors/warnings 的 code 及其含义。",
    tags=["reference"],
    responses=error_responses(401),
)
def row_error_codes(_actor: ApiActor) -> schemas.ErrorCodeList:
    items = [
        schemas.ErrorCodeOut(code=code, severity=v["severity"], description=v["description"])
        for code, v in error_codes().items()
    ]
    return schemas.ErrorCodeList(items=items)


@router.get(
    "/health",
    response_model=schemas.Health,
    summary="健康检查",
    description="无需密钥。数据库和信用信息目录可用时 status 为 ok，否则返回 503 且 status 为 unavailable。",
    tags=["system"],
    responses={503: {"model": schemas.Health, "description": "数据库或目录不可用"}},
)
def health(db: DatabaseDep) -> schemas.Health | JSONResponse:
    try:
        with db.read() as session:
            version: str | None = active_catalog(session).version
    except Exception:
        body = schemas.Health(status="unavailable", version=__version__, database=db.dialect, catalog_version=None)
        return JSONResponse(status_code=503, content=body.model_dump())
    return schemas.Health(status="ok", version=__version__, database=db.dialect, catalog_version=version)
