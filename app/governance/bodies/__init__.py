"""Partner bodies (业委会, 物业公司, 社会组织, 单位党组织) linked to nodes, property contracts,
and the offices people hold in bodies, org units and stations for a term."""
