"""The community shop (积分超市): rewards, redemptions, handovers — paid from the ledger."""
