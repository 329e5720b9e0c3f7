"""Synthetic demo province: realistic subjects and decisions, written as the files offices export."""
