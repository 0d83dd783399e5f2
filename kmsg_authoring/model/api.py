"""The API itself: regions, retries and polling, error codes, unsubscribe URIs, the JSON type of each field.

Sections 10 and 13 of the API guide.
"""

from __future__ import annotations

from enum import StrEnum

# Regions and their base URLs (header of the guide).
REGIONS: tuple[str, ...] = ("nvp1", "irp2", "frp2")


def region_url(region: str) -> str:
    """Base URL of the Messaging API in a region."""
    return f"https://messaging.{region}.ovp.kaltura.com/api/v1"


# Section 13: retry strategy for transient failures.
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
# Section 13: polling intervals for asynchronous operations.
POLL_INTERVALS: tuple[float, ...] = (5.0, 10.0, 30.0)


class ErrorCode(StrEnum):
    """Section 13: the `code` of an application-level error body ({"code": ..., "message": ...}).

    The guide names validation errors (HTTP 400) without spelling their code; these are the codes the
    local sandbox answers with, so a client can tell them apart.
    """

    VALIDATION = "validationError"
    NOT_FOUND = "notFound"
    ENDPOINT_NOT_FOUND = "endpointNotFound"
    UNAUTHORIZED = "unauthorized"
    INVALID_KS = "invalidKs"
    BAD_REQUEST = "badRequest"
    METHOD_NOT_ALLOWED = "methodNotAllowed"
    PAYLOAD_TOO_LARGE = "payloadTooLarge"
    INTERNAL = "internalError"
    BAD_GATEWAY = "badGateway"
    SERVICE_UNAVAILABLE = "serviceUnavailable"
    GATEWAY_TIMEOUT = "gatewayTimeout"
    SERVER_ERROR = "serverError"


# Section 10.5: unsubscribe URI fields and list filters.
UNSUBSCRIBE_URI_ADD_FIELDS: tuple[str, ...] = ("appGuid", "uri", "status")
REQUIRED_UNSUBSCRIBE_URI_FIELDS: tuple[str, ...] = ("appGuid", "uri")
UNSUBSCRIBE_URI_UPDATE_FIELDS: tuple[str, ...] = ("uri", "status")
UNSUBSCRIBE_URI_LIST_FILTERS: tuple[str, ...] = (
    "idIn",
    "appGuidIn",
    "uriIn",
    "status",
    "createdAtGreaterThanOrEqual",
    "updatedAtGreaterThanOrEqual",
)

# JSON type of every request field and filter the guide declares (sections 3-10); a name means the same
# thing wherever it appears. "string[]" is a list of strings, "object[]" a list of objects.
FIELD_TYPES: dict[str, str] = {
    "id": "string",
    "partnerId": "integer",
    "appGuid": "string",
    "name": "string",
    "description": "string",
    "subject": "string",
    "body": "string",
    "msgParamsMap": "object",
    "toAttributePath": "string",
    "from": "string",
    "fromName": "string",
    "cc": "string",
    "bcc": "string",
    "unsubscribeGroups": "string[]",
    "status": "string",
    "templateType": "string",
    "adminTags": "string",
    "customHeaders": "object",
    "numberOfTokenUsed": "integer",
    "version": "integer",
    "emailProviderId": "string",
    "createdAt": "string",
    "updatedAt": "string",
    "idIn": "string[]",
    "appGuidIn": "string[]",
    "nameEq": "string",
    "adminTagsAll": "string",
    "excludeAdminTags": "string",
    "createdAtGreaterThanOrEqual": "string",
    "createdAtLessThanOrEqual": "string",
    "updatedAtGreaterThanOrEqual": "string",
    "updatedAtLessThanOrEqual": "string",
    "offset": "integer",
    "limit": "integer",
    "receiverType": "string",
    "userIds": "string[]",
    "groupIds": "string[]",
    "templateId": "string",
    "type": "string",
    "msgParams": "object",
    "session": "string",
    "attachments": "object[]",
    "fileName": "string",
    "content": "string",
    "mimeType": "string",
    "disposition": "string",
    "contentId": "string",
    "bulkIdIn": "string[]",
    "templateIdIn": "string[]",
    "sessionIn": "string[]",
    "statusIn": "string[]",
    "receiverTypeIn": "string[]",
    "typeIn": "string[]",
    "bulkId": "string",
    "uri": "string",
    "uriIn": "string[]",
}
