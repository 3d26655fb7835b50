from app.errors import BusinessRuleViolation, Conflict


class UsernameTaken(Conflict):
    code = "user.username_taken"
    message_zh = "用户名已被占用"
    message_en = "The username is already taken"


class WeakPassword(BusinessRuleViolation):
    code = "user.weak_password"
    message_zh = "密码不符合要求：至少 8 位，且包含大写字母、小写字母、数字、符号中的三类"
    message_en = (
        "The password must have at least 8 characters from three of: "
        "upper case, lower case, digits, symbols"
    )
