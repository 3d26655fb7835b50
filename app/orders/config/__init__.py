"""Use cases of the configuration orders depend on. Services flush, never commit.

Who may do what:
- Categories, time-limit classes and the working-day calendar are global data shared
  by every town. Anyone holding an ``orders.*`` permission reads them (residents pick
  a category when they place an order); only superusers and holders of
  ``orders.config`` granted *at a town* change them — a community admin's
  ``orders.config`` reaches its own subtree, not data every town shares (403
  ``order_config.town_level_required``).
- Departments (职能部门) belong to a town and are seen through it: ``orders.read`` or
  ``orders.config`` over the town node reads them, ``orders.config`` over it writes
  (so in practice town-level staff: 街乡吹哨、部门报到 is the town's call).
- Volunteer teams (志愿服务队) are scoped by their node like any scoped row.
Every write records one audit event in the same transaction.
"""
