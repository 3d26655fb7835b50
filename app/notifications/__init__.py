"""Notifications (站内通知): an inbox per account, fed by the event relay; who
receives what is rules as data (``notification_rule``)."""
