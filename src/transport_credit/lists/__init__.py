"""Red/black/watch lists (红黑名单), joint rewards and punishments (联合奖惩) and the credit check (逢批必查).

- ``lifecycle``: the pure state machine of a list entry (proposed → notified → listed → removed).
- ``rules``: list kinds, entry criteria, measures (措施清单), matters (事项) and notice templates as versioned data.
- ``criteria``, ``measures``: pure matching of records against criteria, and of a subject's status against measures.
- ``service``: list entry use cases (propose, notify, object, publish, remove, expire, import national lists).
- ``checks``: the credit check and its feedback, which becomes the effect list (成效清单).
- ``effects``: the monthly effect list export; ``cases``: typical cases (典型案例).
"""
