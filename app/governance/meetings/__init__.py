"""Meetings: joint meetings (红色物业联席会议, quarterly), branch meetings (三会一课, 主题党日)
and 议事会 — bodies meeting, agenda, attendance, minutes and decisions that open orders
or 五议 matters."""
