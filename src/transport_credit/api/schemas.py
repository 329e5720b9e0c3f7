"""Input and output models of the REST API (separate from the tables and from the service dataclasses).

Every output is built from what a service returned; services only return masked personal identifiers, and the
models here add nothing that was not in those results.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK
from transport_credit.db.base import MAX_ID
from transport_credit.ingest.service import MAX_PUSH_RECORDS

Outcome = Literal["accepted", "warned", "rejected", "unchanged", "revised"]
CellValue = str | int | float | None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- records and batches ------------------------------------------------------------------------------------


class PushRequest(BaseModel):
    """A business system pushes credit records of one category."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, CellValue]] = Field(
        min_length=1,
        max_length=MAX_PUSH_RECORDS,
        description=f"记录列表（1–{MAX_PUSH_RECORDS} 条）；每条记录的键为数据项英文标识（如 decision_no）"
        "或标准中文名称（如 行政处罚决定书文号），值为字符串或数字",
    )
    department: str | None = Field(
        default=None, max_length=64, description="报送部门编码；缺省为密钥所属部门（接入系统只能报送本单位）"
    )


class RowIssue(_Out):
    """One error or warning of a record."""

    code: str = Field(description="行级错误码（见 GET /api/v1/error-codes）")
    message: str = Field(description="中文说明（不含个人信息字段的值）")
    field: str | None = Field(default=None, description="相关数据项的英文标识")


class RecordResult(_Out):
    """The outcome of one pushed record."""

    row: int = Field(description="记录在请求 records 列表中的序号（从 1 开始）")
    outcome: Outcome = Field(
        description="处理结果：accepted 已接收、warned 已接收（有警告）、rejected 已拒收（进入问题数据）、"
        "unchanged 无变化、revised 已更正（新版本）"
    )
    natural_key: str | None = Field(description="记录的业务主键（如决定书文号）")
    errors: list[RowIssue] = Field(description="错误（rejected 时非空）")
    warnings: list[RowIssue] = Field(description="警告")
    revision: int | None = Field(description="记录的版本号（accepted/warned/revised/unchanged 时）")


class BatchOut(_Out):
    """A batch (批次): one file import or one push."""

    batch_no: str = Field(description="批次号")
    category: str = Field(description="信用信息类别代码，如 XZCF")
    department_code: str = Field(description="报送部门编码")
    file_name: str | None = Field(description="原始文件名（文件导入时）")
    file_sha256: str | None = Field(description="文件 SHA-256（文件导入时）")
    file_format: str | None = Field(description="文件格式：csv、xlsx、xls、jsonl、json")
    encoding: str | None = Field(description="CSV 文件的字符编码（如 gb18030、utf-8）")
    mapping: str | None = Field(description="识别出的表头映射名称（standard 为标准表头）")
    total: int = Field(description="数据行数")
    accepted: int = Field(description="已接收（新记录）")
    warned: int = Field(description="已接收但有警告")
    rejected: int = Field(description="已拒收（进入问题数据）")
    unchanged: int = Field(description="与已有记录相同，无变化")
    revised: int = Field(description="已更正（产生新版本）")
    new_subjects: int = Field(description="新建的信用主体数")
    already_imported: bool = Field(description="同一文件此前已导入（本次未做任何改动）")
    header_row: int | None = Field(description="表头所在行（从 1 开始）")
    ignored_columns: list[str] = Field(description="未识别而忽略的列")
    started_at: dt.datetime | None = Field(description="批次开始时间（UTC）")


class PushResult(BatchOut):
    """A push batch with the result of every record."""

    results: list[RecordResult] = Field(description="逐条处理结果，顺序同请求")


class BatchList(BaseModel):
    items: list[BatchOut] = Field(description="批次，最新的在前")


class WarnedRowOut(_Out):
    source_row: int | None = Field(description="行号（文件导入为文件行号；推送为请求中的序号加 1，含表头行）")
    natural_key: str = Field(description="记录的业务主键")
    subject_name: str | None = Field(description="信用主体名称")
    warnings: list[RowIssue] = Field(description="警告")


class WarningList(BaseModel):
    batch_no: str = Field(description="批次号")
    items: list[WarnedRowOut] = Field(description="有警告的记录")


# --- quarantine (问题数据) -------------------------------------------------------------------------------------


class QuarantineItemOut(_Out):
    id: int = Field(description="问题数据编号（更正模板中的「问题数据编号」列）")
    batch_no: str = Field(description="所属批次号")
    category: str = Field(description="信用信息类别代码")
    department_code: str = Field(description="报送部门编码")
    source_row: int = Field(description="原始行号")
    subject_name: str | None = Field(description="信用主体名称")
    natural_key: str | None = Field(description="记录的业务主键")
    errors: list[RowIssue] = Field(description="拒收原因")
    status: str = Field(description="状态：open 待更正、resubmitted 已重新报送、dismissed 已关闭")
    raw: dict[str, str] | None = Field(
        description="原始单元格（表头 → 值）；证件号码、手机号码等个人信息已脱敏，完整值请下载更正模板"
    )


class QuarantineList(BaseModel):
    total: int = Field(description="符合条件的总数")
    items: list[QuarantineItemOut] = Field(description="本页问题数据")


class DismissRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=10_000, description="要关闭的问题数据编号"
    )
    reason: str = Field(min_length=1, pattern=NON_BLANK, max_length=500, description="关闭原因（如：测试数据）")


class DismissResult(BaseModel):
    dismissed: int = Field(description="实际关闭的条数（已关闭或已重新报送的不计）")


# --- subjects ---------------------------------------------------------------------------------------------


class RecordOut(_Out):
    """One revision of a credit record, as officials see it (政务共享: 社会公开 and 政务共享 fields)."""

    category: str = Field(description="信用信息类别代码")
    category_name: str = Field(description="信用信息类别名称")
    natural_key: str = Field(description="业务主键")
    revision: int = Field(description="版本号")
    status: str = Field(description="记录状态")
    is_current: bool = Field(description="是否现行版本")
    decision_date: dt.date | None = Field(description="决定日期")
    reported_at: dt.datetime = Field(description="报送时间")
    on_time: bool | None = Field(description="是否按时报送（双公示时限）")
    severity: str | None = Field(description="严重程度：minor 轻微、general 一般、serious 严重")
    publicity_start: dt.date | None = Field(description="公示开始日期")
    publicity_end: dt.date | None = Field(description="公示截止日期")
    quality_score: float = Field(description="数据项完整率（0–1）")
    department_code: str = Field(description="报送部门编码")
    fields: dict[str, Any] = Field(description="数据项（中文名称 → 值）；个人证件号码只有脱敏形式")
    warnings: list[RowIssue] = Field(description="入库时的警告")


class SubjectFileOut(_Out):
    """A subject's credit file (信用档案, 政务共享 view)."""

    id: int = Field(description="主体内部编号")
    kind: str = Field(description="主体类型：org、individual_business、person")
    kind_label: str = Field(description="主体类型中文名")
    name: str = Field(description="主体名称")
    uscc: str | None = Field(description="统一社会信用代码")
    id_masked: str | None = Field(description="脱敏的证件号码（自然人）")
    region_code: str | None = Field(description="行政区划代码")
    legal_representative: str | None = Field(description="法定代表人")
    aliases: dict[str, list[str]] = Field(description="其他代码（工商注册号、组织机构代码等）")
    counts: dict[str, int] = Field(description="各类别现行记录数")
    records: list[RecordOut] = Field(description="信用记录")


class SubjectHitOut(_Out):
    id: int = Field(description="主体内部编号")
    kind: str = Field(description="主体类型")
    name: str = Field(description="主体名称")
    uscc: str | None = Field(description="统一社会信用代码")
    id_masked: str | None = Field(description="脱敏的证件号码")
    region_code: str | None = Field(description="行政区划代码")


class SubjectSearch(BaseModel):
    items: list[SubjectHitOut] = Field(description="匹配的主体（最多 100 个）")


class RecordHistory(BaseModel):
    category: str = Field(description="信用信息类别代码")
    natural_key: str = Field(description="业务主键")
    revisions: list[RecordOut] = Field(description="全部版本，最新的在前")


class RepairNoticeOut(BaseModel):
    record_id: int = Field(description="记录编号（现行版本）")
    category: str = Field(description="信用信息类别代码（XZCF）")
    natural_key: str = Field(description="业务主键（决定书文号）")
    subject_name: str = Field(description="被处罚主体")
    decision_no: str = Field(description="行政处罚决定书文号")
    decision_date: dt.date | None = Field(description="处罚决定日期")
    publicity_start: dt.date | None = Field(description="公示开始日期")
    publicity_end: dt.date | None = Field(description="公示截止日期（2099-12-31 表示长期）")
    repair_opens_on: dt.date | None = Field(description="最短公示期届满、可以申请信用修复的日期")
    apply_url: str = Field(description="网站上申请信用修复的地址")
    text: str = Field(description="信用修复告知书全文（纯文本）")
    template_version: str = Field(description="告知书模板版本")


# --- catalog and reference data -------------------------------------------------------------------------------


class FieldOut(_Out):
    key: str = Field(description="数据项英文标识")
    name: str = Field(description="数据项标准中文名称")
    type: str = Field(description="类型：string、text、date、amount_wan、integer、decimal、enum、uscc、id_number 等")
    mandatory: bool = Field(description="是否必填")
    mandatory_when: dict[str, list[str]] | None = Field(description="条件必填：另一数据项取这些值时必填")
    enum: list[str] | None = Field(description="允许的取值")
    max_length: int | None = Field(description="最大长度")
    disclosure: str = Field(description="公开属性：public 社会公开、shared 政务共享、private 不公开")
    description: str | None = Field(description="说明")


class CategoryOut(_Out):
    code: str = Field(description="类别代码，如 XZCF")
    name: str = Field(description="类别名称，如 行政处罚")
    kind: str = Field(description="dishonest 失信、honest 守信、neutral 一般信息")
    dual_publicity: bool = Field(description="是否双公示")
    report_within_workdays: int | None = Field(description="决定后应在多少个工作日内报送")
    natural_key: list[str] = Field(description="确定一条记录的数据项")
    subject_kinds: list[str] = Field(description="接受的主体类型")
    fields: list[FieldOut] = Field(description="数据项")


class CatalogOut(BaseModel):
    version: str = Field(description="现行信用信息目录版本")
    categories: list[CategoryOut] = Field(description="信用信息类别")


class MappingOut(_Out):
    name: str = Field(description="映射名称（导入时可用 mapping 参数指定）")
    title: str = Field(description="说明")
    category: str = Field(description="类别代码")
    version: str = Field(description="版本")
    scope: str = Field(description="制定单位的行政区划代码")
    columns: dict[str, str] = Field(description="表头文字 → 数据项英文标识")


class MappingList(BaseModel):
    category: str = Field(description="类别代码")
    items: list[MappingOut] = Field(description="该类别的表头映射")


class DepartmentOut(_Out):
    code: str = Field(description="部门编码")
    name: str = Field(description="部门名称")
    kind: str = Field(description="部门类型")
    level: str = Field(description="层级：province、city、county")
    region_code: str = Field(description="行政区划代码")
    parent_code: str | None = Field(description="上级部门编码")
    uscc: str | None = Field(description="统一社会信用代码")
    categories: list[str] = Field(description="作为数据来源单位可报送的类别")


class DepartmentList(BaseModel):
    items: list[DepartmentOut] = Field(description="在用部门")


class ErrorCodeOut(BaseModel):
    code: str = Field(description="行级错误码")
    severity: Literal["error", "warning"] = Field(description="error 拒收、warning 接收但提示")
    description: str = Field(description="中文说明")


class ErrorCodeList(BaseModel):
    items: list[ErrorCodeOut] = Field(description="行级错误码")


class Health(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="ok 正常；unavailable 数据库或目录不可用")
    version: str = Field(description="平台版本")
    database: str = Field(description="数据库类型：sqlite 或 postgresql")
    catalog_version: str | None = Field(description="现行信用信息目录版本")
