"""File import (文件导入): a business system uploads an export file as one batch."""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from transport_credit.api import convert, schemas
from transport_credit.api.deps import NON_BLANK, ApiActor, SessionDep, SettingsDep
from transport_credit.api.errors import PayloadTooLarge, error_responses
from transport_credit.auth.schema import SCOPE_SUBMIT
from transport_credit.common.errors import InvalidInput
from transport_credit.ingest import service as ingest

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".jsonl", ".json", ".et"}
_COPY_BLOCK = 1 << 20

router = APIRouter()


def _original_name(name: str | None) -> str:
    """The uploaded file's base name (no directories, no control characters, at most 200 characters)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[-200:] or "upload"


async def _save(upload: UploadFile, folder: Path, suffix: str) -> Path:
    """Copy the upload to a new file in ``folder``, refusing it past ``MAX_UPLOAD_BYTES``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    size = 0
    try:
        with target.open("wb") as out:
            while block := await upload.read(_COPY_BLOCK):
                size += len(block)
                if size > MAX_UPLOAD_BYTES:
                    raise PayloadTooLarge(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请拆分后再导入")
                out.write(block)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


@router.post(
    "/imports",
    response_model=schemas.BatchOut,
    summary="导入文件",
    description=(
        "上传一个类别的数据文件（CSV（UTF-8/GB18030）、XLSX、XLS、JSONL），整个文件作为一个批次原子导入："
        "自动识别表头行和旧版表头，逐行校验，合格的入库，不合格的进入问题数据。"
        "同一文件重复导入不做任何改动（already_imported 为 true）。需要 records:submit 权限。"
    ),
    tags=["imports"],
    responses=error_responses(401, 403, 404, 413, 422),
)
async def import_file(
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    file: Annotated[UploadFile, File(description="数据文件")],
    category: Annotated[
        str, Form(description="信用信息类别代码或名称", min_length=1, max_length=64, pattern=NON_BLANK)
    ],
    department: Annotated[str | None, Form(description="报送部门编码；缺省为密钥所属部门", max_length=64)] = None,
    mapping: Annotated[str | None, Form(description="强制使用的表头映射名称；缺省自动识别", max_length=100)] = None,
) -> schemas.BatchOut:
    actor.require_scope(SCOPE_SUBMIT)
    cat = convert.resolve_category(session, category)
    dept = department or actor.department_code
    if not dept:
        raise InvalidInput("未指定报送部门", code="department_required")
    name = _original_name(file.filename)
    suffix = Path(name).suffix.lower()
    path = await _save(file, settings.data_dir / "uploads", suffix if suffix in _SUFFIXES else "")
    try:
        summary = ingest.import_file(
            session, actor, settings, path, category=cat.code, department=dept, mapping=mapping or None, file_name=name
        )
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    return convert.batch_out(summary)
