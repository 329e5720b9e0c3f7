"""Tiered supervision (分级分类监管) and 双随机、一公开 inspection tasks."""
