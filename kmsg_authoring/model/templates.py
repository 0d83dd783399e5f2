"""The email template entity: its statuses, fields, list filters and the tags kmsg-author sets (sections 3 and 5)."""

from __future__ import annotations

from enum import StrEnum


# The fields whose text may hold token references, named once.
SUBJECT, FROM_NAME, TO_ATTRIBUTE_PATH, BODY = "subject", "fromName", "toAttributePath", "body"
# Section 4: the API resolves tokens in these fields only (a token anywhere else is sent as written).
RESOLVED_FIELDS: tuple[str, ...] = (SUBJECT, BODY, FROM_NAME)


class TemplateStatus(StrEnum):
    """Section 3: template status values."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    DELETED = "deleted"


TEMPLATE_STATUSES: tuple[str, ...] = tuple(s.value for s in TemplateStatus)
DEFAULT_STATUS = TemplateStatus.ENABLED.value

# Section 3: the template entity.
READ_ONLY_FIELDS: tuple[str, ...] = (
    "id",
    "partnerId",
    "templateType",
    "numberOfTokenUsed",
    "version",
    "emailProviderId",
    "createdAt",
    "updatedAt",
)
# Section 5.1: fields email-template/add takes, in the order the guide lists them.
ADD_FIELDS: tuple[str, ...] = (
    "appGuid",
    "name",
    "subject",
    "body",
    "toAttributePath",
    "msgParamsMap",
    "description",
    "from",
    "fromName",
    "cc",
    "bcc",
    "unsubscribeGroups",
    "status",
    "adminTags",
    "customHeaders",
)
REQUIRED_ADD_FIELDS: tuple[str, ...] = ("appGuid", "name", "subject", "body", "toAttributePath", "msgParamsMap")
# Section 5.3: fields email-template/update can change (appGuid cannot move).
UPDATE_FIELDS: tuple[str, ...] = (
    "name",
    "subject",
    "body",
    "description",
    "from",
    "fromName",
    "cc",
    "bcc",
    "msgParamsMap",
    "unsubscribeGroups",
    "status",
    "adminTags",
    "customHeaders",
)
# Fields of template.yaml: every writable field but the body, which lives in body.html.
TEMPLATE_YAML_FIELDS: tuple[str, ...] = tuple(f for f in ADD_FIELDS if f != "body")
REQUIRED_YAML_FIELDS: tuple[str, ...] = ("name", "subject", "toAttributePath", "msgParamsMap")
# Fields whose text carries token references besides the body.
TOKEN_TEXT_FIELDS: tuple[str, ...] = (SUBJECT, FROM_NAME, TO_ATTRIBUTE_PATH)
# Fields the API writes into the message's headers: a line break in one injects headers.
HEADER_FIELDS: tuple[str, ...] = (SUBJECT, "from", FROM_NAME, "cc", "bcc")

# Section 5.4: email-template/list filter fields and pager.
TEMPLATE_LIST_FILTERS: tuple[str, ...] = (
    "idIn",
    "appGuidIn",
    "name",
    "nameEq",
    "subject",
    "status",
    "adminTags",
    "adminTagsAll",
    "excludeAdminTags",
    "createdAtGreaterThanOrEqual",
    "createdAtLessThanOrEqual",
    "updatedAtGreaterThanOrEqual",
    "updatedAtLessThanOrEqual",
)
DEFAULT_PAGE_LIMIT = 30

# Gmail clips a message whose HTML is larger than this.
GMAIL_CLIP_BYTES = 102 * 1024

# The adminTags entry that marks a template as managed by kmsg-author.
MANAGED_TAG = "kmsg-author"
# The adminTags entry naming the locale of one language's copy of a template: `locale:fr`.
LOCALE_TAG_PREFIX = "locale:"

# Section 3: every template has this templateType.
TEMPLATE_TYPE = "email"
