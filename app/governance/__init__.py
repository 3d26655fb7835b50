"""Governance of compounds (小区治理, seeds 000, 002, 004): partner bodies and the offices
people hold in them (双向进入、交叉任职), stations with duty rotas (红旗驿站, 党员周末轮班),
meetings (联席会议, 三会一课, 议事会), the five-step deliberation 五议 and the residents'
evaluations of the property company and the owners' committee (物业/业委会评议).

Each resource is a subpackage with the fixed file roles; what they share (who may
read, the caller's household, audit, pages) lives in this package's own modules.
"""
