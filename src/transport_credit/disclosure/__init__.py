"""What the public may see (社会公开): one set of rules used by the public website, the public API and exports.

``rules`` holds the pure functions (field levels, masking, publicity windows, names); ``service`` the read use
cases (public subject file, public record lists). The policy itself is data: ``data/disclosure/public.yaml``.
"""
