"""Service hours (服务时长) and the 双考评 reports per unit and per community."""
