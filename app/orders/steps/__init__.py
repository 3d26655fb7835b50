"""The workflow steps of an order, one module per stage of its life.

``submit`` (点单), ``intake`` (分拣: triage, reject, merge; the resident's cancel and 附议),
``assignment`` (派单, 抢单, 接单, 部门报到), ``work`` (处置 and 回访) and
``overdue`` (the deadline jobs: 吹哨 and auto-close).
"""
