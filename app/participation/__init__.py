"""Community participation (社区参与, seeds 001-003): people who show up.

- activities (志愿服务活动, this package): sign-up with a waiting list, QR check-in and
  check-out, service hours (服务时长), points by the kind's rule on close;
- ``units/``: the registry of units (机关、企事业单位党组织), their in-service members,
  pairings with communities and compounds (结对 / 挂钩联系) and yearly commitments;
- ``registrations/``: members' registrations (双报到) as records, with the 三个一;
- ``wishes/``: the 微心愿 board, claims by members, teams or units, fulfilment, thanks;
- ``reports/``: hours and points per person, team and node, and the 双考评 reports.

Volunteer teams stay where orders dispatch to them (``app/orders/config/teams.py``).
"""
