"""The demo town (演示数据): seeded on first start of the embedded default (`make run`).

``town`` builds 石龙镇 through the services the API uses; ``orders`` writes its
90 days of order history as rows.
"""
