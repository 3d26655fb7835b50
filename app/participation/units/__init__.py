"""Units (单位: 机关、企事业单位党组织) outside the residential hierarchy, linked to it."""
