"""Facts about the Kaltura Messaging API, in one place.

The schema, the compiler, the linter, the renderer, the publisher and the sandbox all
import these; nothing else spells them out again.
"""

from __future__ import annotations

# Section 4.1: token types a msgParamsMap may declare.
TOKEN_TYPES: tuple[str, ...] = ("User", "String", "MagicLink", "Dynamic", "UnsubscribeUri", "JwtQrCode")

# Section 4.2: fields of a User token.
USER_FIELDS: tuple[str, ...] = (
    "id", "partnerId", "externalId", "firstName", "lastName", "email", "fullName", "screenName",
    "dateOfBirth", "gender", "thumbnailUrl", "description", "title", "country", "company",
    "state", "city", "zip",
)

# Value of a User token that resolves to the current recipient.
CURRENT_RECIPIENT = "Message.userId"

# Section 3: template status values.
TEMPLATE_STATUSES: tuple[str, ...] = ("enabled", "disabled", "deleted")
DEFAULT_STATUS = "enabled"

# Section 3: the template entity.
READ_ONLY_FIELDS: tuple[str, ...] = (
    "id", "partnerId", "templateType", "numberOfTokenUsed", "version", "emailProviderId",
    "createdAt", "updatedAt",
)
# Section 5.1: fields email-template/add takes, in the order the guide lists them.
ADD_FIELDS: tuple[str, ...] = (
    "appGuid", "name", "subject", "body", "toAttributePath", "msgParamsMap", "description",
    "from", "fromName", "cc", "bcc", "unsubscribeGroups", "status", "adminTags", "customHeaders",
)
REQUIRED_ADD_FIELDS: tuple[str, ...] = ("appGuid", "name", "subject", "body", "toAttributePath", "msgParamsMap")
# Section 5.3: fields email-template/update can change (appGuid cannot move).
UPDATE_FIELDS: tuple[str, ...] = (
    "name", "subject", "body", "description", "from", "fromName", "cc", "bcc", "msgParamsMap",
    "unsubscribeGroups", "status", "adminTags", "customHeaders",
)
# Fields of template.yaml: every writable field but the body, which lives in body.html.
TEMPLATE_YAML_FIELDS: tuple[str, ...] = tuple(f for f in ADD_FIELDS if f != "body")
REQUIRED_YAML_FIELDS: tuple[str, ...] = ("name", "subject", "toAttributePath", "msgParamsMap")
# Fields whose text carries token references besides the body.
TOKEN_TEXT_FIELDS: tuple[str, ...] = ("subject", "fromName", "toAttributePath")

# Section 5.4: email-template/list filter fields and pager.
TEMPLATE_LIST_FILTERS: tuple[str, ...] = (
    "idIn", "appGuidIn", "name", "nameEq", "subject", "status", "adminTags", "adminTagsAll",
    "excludeAdminTags", "createdAtGreaterThanOrEqual", "createdAtLessThanOrEqual",
    "updatedAtGreaterThanOrEqual", "updatedAtLessThanOrEqual",
)
DEFAULT_PAGE_LIMIT = 30

# Section 6.1: fields of a message/send request (a preview sample has this shape).
SEND_FIELDS: tuple[str, ...] = (
    "receiverType", "userIds", "groupIds", "appGuid", "templateId", "type", "msgParams",
    "session", "adminTags", "attachments", "customHeaders",
)
# Section 4.3 and 4.4: keys of MagicLink and JwtQrCode values.
MAGIC_LINK_FIELDS: tuple[str, ...] = ("baseURL", "expiry", "privileges")
JWT_QR_FIELDS: tuple[str, ...] = ("payload", "secret", "options")

# Section 7: message statuses.
BULK_STATUSES: tuple[str, ...] = ("sending", "completed", "failed", "canceled")
DISCRETE_STATUSES: tuple[str, ...] = (
    "sending", "processed", "delivered", "deferred", "dropped", "bounce", "error",
)

# Regions and their base URLs (header of the guide).
REGIONS: tuple[str, ...] = ("nvp1", "irp2", "frp2")


def region_url(region: str) -> str:
    """Base URL of the Messaging API in a region."""
    return f"https://messaging.{region}.ovp.kaltura.com/api/v1"


# Section 13: retry strategy for transient failures.
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
# Section 13: polling intervals for asynchronous operations.
POLL_INTERVALS: tuple[float, ...] = (5.0, 10.0, 30.0)

# Gmail clips a message whose HTML is larger than this.
GMAIL_CLIP_BYTES = 102 * 1024

# The adminTags entry that marks a template as managed by kmsg-author.
MANAGED_TAG = "kmsg-author"

# Section 3: every template has this templateType.
TEMPLATE_TYPE = "email"

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
    "idIn", "bulkIdIn", "templateIdIn", "appGuidIn", "sessionIn", "statusIn", "receiverTypeIn",
    "typeIn", "groupIds", "userIds", "createdAtGreaterThanOrEqual", "createdAtLessThanOrEqual",
    "updatedAtGreaterThanOrEqual", "updatedAtLessThanOrEqual",
)
# Section 8.3: message/stats scopes.
STATS_FIELDS: tuple[str, ...] = ("bulkId", "session")
# Section 7.4: why a discrete message was not delivered.
DISCRETE_ERRORS: tuple[str, ...] = (
    "emailNotResolvedToValidEmailAddress", "userUnsubscribeFromThisGroup", "userNotFoundInOurDb",
    "createMagicLinkFailed", "createUnsubscribeUriLinkFailed", "createJwtQrCodeFailed", "sendGridError",
)
# Section 13: bulk message error codes.
BULK_ERRORS: tuple[str, ...] = ("noActiveGroups", "noActiveGroupUsers", "someGroupsHaveNoActiveUsers")

# Section 10.5: unsubscribe URI fields and list filters.
UNSUBSCRIBE_URI_ADD_FIELDS: tuple[str, ...] = ("appGuid", "uri", "status")
REQUIRED_UNSUBSCRIBE_URI_FIELDS: tuple[str, ...] = ("appGuid", "uri")
UNSUBSCRIBE_URI_UPDATE_FIELDS: tuple[str, ...] = ("uri", "status")
UNSUBSCRIBE_URI_LIST_FILTERS: tuple[str, ...] = (
    "idIn", "appGuidIn", "uriIn", "status", "createdAtGreaterThanOrEqual", "updatedAtGreaterThanOrEqual",
)

# JSON type of every request field and filter the guide declares (sections 3-10); a name means the same
# thing wherever it appears. "string[]" is a list of strings, "object[]" a list of objects.
FIELD_TYPES: dict[str, str] = {
    "id": "string", "partnerId": "integer", "appGuid": "string", "name": "string",
    "description": "string", "subject": "string", "body": "string", "msgParamsMap": "object",
    "toAttributePath": "string", "from": "string", "fromName": "string", "cc": "string",
    "bcc": "string", "unsubscribeGroups": "string[]", "status": "string", "templateType": "string",
    "adminTags": "string", "customHeaders": "object", "numberOfTokenUsed": "integer",
    "version": "integer", "emailProviderId": "string", "createdAt": "string", "updatedAt": "string",
    "idIn": "string[]", "appGuidIn": "string[]", "nameEq": "string", "adminTagsAll": "string",
    "excludeAdminTags": "string", "createdAtGreaterThanOrEqual": "string",
    "createdAtLessThanOrEqual": "string", "updatedAtGreaterThanOrEqual": "string",
    "updatedAtLessThanOrEqual": "string", "offset": "integer", "limit": "integer",
    "receiverType": "string", "userIds": "string[]", "groupIds": "string[]", "templateId": "string",
    "type": "string", "msgParams": "object", "session": "string", "attachments": "object[]",
    "fileName": "string", "content": "string", "mimeType": "string", "disposition": "string",
    "contentId": "string", "bulkIdIn": "string[]", "templateIdIn": "string[]", "sessionIn": "string[]",
    "statusIn": "string[]", "receiverTypeIn": "string[]", "typeIn": "string[]", "bulkId": "string",
    "uri": "string", "uriIn": "string[]",
}
