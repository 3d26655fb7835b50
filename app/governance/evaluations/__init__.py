"""Residents' evaluations of the property company and the owners' committee (物业/业委会
评议, seed 002): questionnaires as data, one answer per household per period, scores,
trends, town rankings, and a low score opening a 五议 matter to re-tender."""
