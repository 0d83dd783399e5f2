"""Messages: the message/send request, attachments, and the statuses and errors of messages.

Sections 6 to 8 of the API guide.
"""

from __future__ import annotations

from enum import StrEnum

# Section 6.1: fields of a message/send request (a preview sample has this shape).
SEND_FIELDS: tuple[str, ...] = (
    "receiverType",
    "userIds",
    "groupIds",
    "appGuid",
    "templateId",
    "type",
    "msgParams",
    "session",
    "adminTags",
    "attachments",
    "customHeaders",
)


class BulkStatus(StrEnum):
    """Section 7: statuses of a bulk message."""

    SENDING = "sending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class DiscreteStatus(StrEnum):
    """Section 7: statuses of one recipient's (discrete) message."""

    SENDING = "sending"
    PROCESSED = "processed"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    DROPPED = "dropped"
    BOUNCE = "bounce"
    ERROR = "error"


BULK_STATUSES: tuple[str, ...] = tuple(s.value for s in BulkStatus)
DISCRETE_STATUSES: tuple[str, ...] = tuple(s.value for s in DiscreteStatus)

# Section 6.1: required fields of a message/send request (SEND_FIELDS lists them all).
REQUIRED_SEND_FIELDS: tuple[str, ...] = ("receiverType", "appGuid", "templateId", "type", "msgParams")
RECEIVER_TYPES: tuple[str, ...] = ("user", "group")
MESSAGE_TYPES: tuple[str, ...] = ("email",)
# Section 6.3: fields of an attachment.
ATTACHMENT_FIELDS: tuple[str, ...] = ("fileName", "content", "mimeType", "disposition", "contentId")
REQUIRED_ATTACHMENT_FIELDS: tuple[str, ...] = ("fileName", "content", "mimeType", "disposition")
ATTACHMENT_DISPOSITIONS: tuple[str, ...] = ("attachment", "inline")

# Section 8.1: message/list filter fields (same pager as section 5.4).
MESSAGE_LIST_FILTERS: tuple[str, ...] = (
    "idIn",
    "bulkIdIn",
    "templateIdIn",
    "appGuidIn",
    "sessionIn",
    "statusIn",
    "receiverTypeIn",
    "typeIn",
    "groupIds",
    "userIds",
    "createdAtGreaterThanOrEqual",
    "createdAtLessThanOrEqual",
    "updatedAtGreaterThanOrEqual",
    "updatedAtLessThanOrEqual",
)
# Section 8.3: message/stats scopes.
STATS_FIELDS: tuple[str, ...] = ("bulkId", "session")


class DiscreteError(StrEnum):
    """Section 7.4: why a discrete message was not delivered (its errorEnum)."""

    EMAIL_NOT_RESOLVED = "emailNotResolvedToValidEmailAddress"
    USER_UNSUBSCRIBED = "userUnsubscribeFromThisGroup"
    USER_NOT_FOUND = "userNotFoundInOurDb"
    MAGIC_LINK_FAILED = "createMagicLinkFailed"
    UNSUBSCRIBE_URI_FAILED = "createUnsubscribeUriLinkFailed"
    JWT_QR_CODE_FAILED = "createJwtQrCodeFailed"
    PROVIDER_ERROR = "sendGridError"


class BulkError(StrEnum):
    """Section 13: error codes of a bulk message (a send that reaches no one)."""

    NO_ACTIVE_GROUPS = "noActiveGroups"
    NO_ACTIVE_GROUP_USERS = "noActiveGroupUsers"
    SOME_GROUPS_EMPTY = "someGroupsHaveNoActiveUsers"


DISCRETE_ERRORS: tuple[str, ...] = tuple(e.value for e in DiscreteError)
BULK_ERRORS: tuple[str, ...] = tuple(e.value for e in BulkError)
