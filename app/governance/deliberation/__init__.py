"""五议 (仓山, seed 002): a compound matter moves through 提议 → 动议 → 商议 → 公议 → 评议,
as a transition table of data like service orders."""
