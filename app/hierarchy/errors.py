"""Errors of the org-unit domain, each with a stable dotted code."""

from app.errors import AppError, BusinessRuleViolation, Conflict


class CodeTaken(Conflict):
    code = "org_unit.code_taken"
    message_zh = "组织编码已被占用"
    message_en = "The org unit code is already taken"


class LevelMismatch(BusinessRuleViolation):
    """五级组织体系: a node's parent is exactly one level up; towns are roots."""

    code = "org_unit.level_mismatch"
    message_zh = "上级组织必须恰好高一个层级"
    message_en = "The parent must be exactly one level up"


class MoveIntoOwnSubtree(BusinessRuleViolation):
    code = "org_unit.move_into_own_subtree"
    message_zh = "不能将组织移动到其自身或其下级之下"
    message_en = "An org unit cannot be moved under itself or its own subtree"


class ParentArchived(BusinessRuleViolation):
    code = "org_unit.parent_archived"
    message_zh = "上级组织已归档"
    message_en = "The parent org unit is archived"


class GridKindNotAllowed(BusinessRuleViolation):
    code = "org_unit.grid_kind_not_allowed"
    message_zh = "只有网格可以设置网格类型"
    message_en = "Only grids carry a grid kind"


class Archived(Conflict):
    code = "org_unit.archived"
    message_zh = "组织已归档，请先恢复"
    message_en = "The org unit is archived; restore it first"


class NotArchived(Conflict):
    code = "org_unit.not_archived"
    message_zh = "组织未归档"
    message_en = "The org unit is not archived"


class HasLiveChildren(Conflict):
    code = "org_unit.has_live_children"
    message_zh = "组织下仍有未归档的下级组织"
    message_en = "The org unit still has live children"


class HasPeople(Conflict):
    code = "org_unit.has_people"
    message_zh = "组织下仍有人员"
    message_en = "People still live in this org unit"


class HasOpenOrders(Conflict):
    code = "org_unit.has_open_orders"
    message_zh = "组织下仍有未办结的工单"
    message_en = "Open orders remain under this org unit"


class SubtreeTooLarge(BusinessRuleViolation):
    code = "org_unit.subtree_too_large"
    message_zh = "子树节点过多，请减小深度或逐级查看下级"
    message_en = "The subtree is too large; lower the depth or page through the children"


class ImportInvalid(BusinessRuleViolation):
    """All-or-nothing import: the report lists each failing row; nothing was written."""

    code = "org_unit.import_invalid"
    message_zh = "导入文件有误，未导入任何数据"
    message_en = "The import file has errors; nothing was imported"


class UnsupportedImportFormat(AppError):
    status = 415
    code = "org_unit.import_unsupported_format"
    message_zh = "仅支持 csv 或 xlsx 文件"
    message_en = "Only csv and xlsx files are supported"
