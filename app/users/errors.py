from app.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class UsernameTaken(Conflict):
    code = "user.username_taken"
    message_zh = "用户名已被占用"
    message_en = "The username is already taken"


class WeakPassword(BusinessRuleViolation):
    """Carries ``violations``: too_short, too_long, too_few_classes, common,
    contains_username."""

    code = "user.weak_password"
    message_zh = (
        "密码不符合要求：至少 8 位，包含大写字母、小写字母、数字、符号中的三类，"
        "不得是常见密码，不得包含用户名"
    )
    message_en = (
        "The password must have at least 8 characters from three of: "
        "upper case, lower case, digits, symbols; not be a common password; "
        "and not contain the username"
    )


class WrongCurrentPassword(BusinessRuleViolation):
    code = "user.wrong_current_password"
    message_zh = "当前密码不正确"
    message_en = "The current password is wrong"


class UserNotFound(NotFound):
    code = "user.not_found"
    message_zh = "账号不存在"
    message_en = "The user account does not exist"


class GrantNotFound(NotFound):
    code = "user.grant_not_found"
    message_zh = "授权不存在"
    message_en = "The role grant does not exist"


class GrantExists(Conflict):
    code = "user.grant_exists"
    message_zh = "该账号已在此节点拥有该角色"
    message_en = "The user already holds this role at this node"


class SelfDealing(Forbidden):
    """Nobody grants roles to their own account or links it to a person: another
    administrator does (separation of duties, 等保 2.0 三权分立)."""

    code = "user.self_dealing"
    message_zh = "不能为自己的账号授予角色或关联人员，请由其他管理员办理"
    message_en = "You cannot grant roles to or link a person to your own account"


class GrantEscalation(Forbidden):
    """No privilege escalation: a role is granted only by someone holding all of it."""

    code = "user.grant_escalation"
    message_zh = "不能授予或撤销含有您在该节点上并不具备的权限的角色"
    message_en = "You cannot grant or revoke a role with permissions you do not hold there"


class OutranksCaller(Forbidden):
    code = "user.outranks_caller"
    message_zh = "该账号拥有超出您管理范围的权限，不能由您修改"
    message_en = "This account holds permissions beyond your reach; you cannot change it"


class GrantRequired(BusinessRuleViolation):
    code = "user.grant_required"
    message_zh = "新建账号须授予您管理范围内的角色，或绑定您管理范围内的人员"
    message_en = "A new account needs a role grant or a person within your scope"


class PersonAlreadyLinked(Conflict):
    code = "user.person_already_linked"
    message_zh = "该人员已绑定其他账号"
    message_en = "The person is already linked to another account"


class HolderWithoutAccount(BusinessRuleViolation):
    """A role comes with an office only to a person who signs in (has an account)."""

    code = "user.holder_without_account"
    message_zh = "该人员没有绑定账号，无法随职务授予角色"
    message_en = "The person has no user account, so the office's role cannot be granted"


class UnknownRole(BusinessRuleViolation):
    code = "user.unknown_role"
    message_zh = "角色不存在"
    message_en = "The role does not exist"


class SelfGrant(Forbidden):
    """Self-dealing: nobody grants a role to their own account."""

    code = "user.self_grant"
    message_zh = "不能给本人授予角色"
    message_en = "You cannot grant a role to yourself"
