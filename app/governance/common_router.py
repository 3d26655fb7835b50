"""What governance's routers share: permission guards, page parameters and the
problems routes answer. Every POST takes an ``Idempotency-Key``
(``app.integrations.idempotency``, the one mechanism)."""

from app.authz.deps import require_any
from app.authz.permissions import GOVERNANCE_MANAGE, GOVERNANCE_READ, GOVERNANCE_TAKE_PART
from app.kit.pagination import Cursor, Limit
from app.kit.schemas import problem_responses

CanRead = require_any(GOVERNANCE_READ, GOVERNANCE_TAKE_PART)
"""Staff read within their scope; people taking part read their compound's data."""
CanManage = require_any(GOVERNANCE_MANAGE)
CanTakePart = require_any(GOVERNANCE_TAKE_PART)
CanManageOrTakePart = require_any(GOVERNANCE_MANAGE, GOVERNANCE_TAKE_PART)
__all__ = ["Cursor", "Limit"]

READ = problem_responses(400, 401, 403, 404)
"""400: an invalid cursor."""
LIVE_CODE = problem_responses(401, 403, 404, 409)
"""A live check-in code: 409 outside the check-in window."""
WRITE = problem_responses(400, 401, 403, 404, 409)
"""400: an invalid Idempotency-Key; 409: the state refuses it, or the key is in use."""
UPDATE = problem_responses(401, 403, 404, 409, 412, 428)
