"""Stations (红旗驿站 / 党群服务站 / 党员工作室) with functions, hours, officers, duty rotas
(党员周末轮班) and an honour roll (红旗好人)."""
