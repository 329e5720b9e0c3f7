"""交通运输信用信息平台 — transport credit information platform."""

__version__ = "0.1.0"
