"""identifiers: pure rules for 统一社会信用代码 (``uscc``), 身份证号码 and masking (``citizen_id``),
GB/T 2260 region codes (``regions``), 车牌号 (``plates``) and input normalisation (``normalize``).

Each check has a scalar version for single values and, where bulk import needs it, a vectorised Polars
expression that agrees with it (tested by property).
"""
