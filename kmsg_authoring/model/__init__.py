"""Facts about the Kaltura Messaging API, in one place: model and shapes in, nothing of the toolkit out.

The schema, the compiler, the linter, the renderer, the publisher and the sandbox all import these;
nothing else spells them out again. One module per topic: `tokens` (token types as one table and the
grammar of a reference), `templates` (the template entity), `messages` (message/send and its statuses),
`api` (regions, retries, error codes, field types), `toolkit` (file names, default ports); `shapes`
derives each field's JSON Schema.
"""

from __future__ import annotations


from kmsg_authoring.model.tokens import (
    CLOSE as CLOSE,
    COUNTED_FIELDS as COUNTED_FIELDS,
    CURRENT_RECIPIENT as CURRENT_RECIPIENT,
    JWT_QR_FIELDS as JWT_QR_FIELDS,
    MAGIC_LINK_FIELDS as MAGIC_LINK_FIELDS,
    NAME as NAME,
    NAME_RE as NAME_RE,
    OPEN as OPEN,
    Placement as Placement,
    RawToken as RawToken,
    Renders as Renders,
    TOKENS as TOKENS,
    TOKEN_RE as TOKEN_RE,
    TOKEN_TYPES as TOKEN_TYPES,
    TokenFacts as TokenFacts,
    TokenType as TokenType,
    USER_FIELDS as USER_FIELDS,
    find_tokens as find_tokens,
    number_of_tokens_used as number_of_tokens_used,
    resolved_type as resolved_type,
    sent_as as sent_as,
    token_facts as token_facts,
    token_type as token_type,
    types_where as types_where,
)

from kmsg_authoring.model.templates import (
    ADD_FIELDS as ADD_FIELDS,
    BODY as BODY,
    DEFAULT_PAGE_LIMIT as DEFAULT_PAGE_LIMIT,
    DEFAULT_STATUS as DEFAULT_STATUS,
    FROM_NAME as FROM_NAME,
    GMAIL_CLIP_BYTES as GMAIL_CLIP_BYTES,
    HEADER_FIELDS as HEADER_FIELDS,
    LOCALE_TAG_PREFIX as LOCALE_TAG_PREFIX,
    MANAGED_TAG as MANAGED_TAG,
    READ_ONLY_FIELDS as READ_ONLY_FIELDS,
    REQUIRED_ADD_FIELDS as REQUIRED_ADD_FIELDS,
    REQUIRED_YAML_FIELDS as REQUIRED_YAML_FIELDS,
    RESOLVED_FIELDS as RESOLVED_FIELDS,
    SUBJECT as SUBJECT,
    TEMPLATE_LIST_FILTERS as TEMPLATE_LIST_FILTERS,
    TEMPLATE_STATUSES as TEMPLATE_STATUSES,
    TEMPLATE_TYPE as TEMPLATE_TYPE,
    TEMPLATE_YAML_FIELDS as TEMPLATE_YAML_FIELDS,
    TOKEN_TEXT_FIELDS as TOKEN_TEXT_FIELDS,
    TO_ATTRIBUTE_PATH as TO_ATTRIBUTE_PATH,
    TemplateStatus as TemplateStatus,
    UPDATE_FIELDS as UPDATE_FIELDS,
)

from kmsg_authoring.model.messages import (
    ATTACHMENT_DISPOSITIONS as ATTACHMENT_DISPOSITIONS,
    ATTACHMENT_FIELDS as ATTACHMENT_FIELDS,
    BULK_ERRORS as BULK_ERRORS,
    BULK_STATUSES as BULK_STATUSES,
    BulkError as BulkError,
    BulkStatus as BulkStatus,
    DISCRETE_ERRORS as DISCRETE_ERRORS,
    DISCRETE_STATUSES as DISCRETE_STATUSES,
    DiscreteError as DiscreteError,
    DiscreteStatus as DiscreteStatus,
    MESSAGE_LIST_FILTERS as MESSAGE_LIST_FILTERS,
    MESSAGE_TYPES as MESSAGE_TYPES,
    RECEIVER_TYPES as RECEIVER_TYPES,
    REQUIRED_ATTACHMENT_FIELDS as REQUIRED_ATTACHMENT_FIELDS,
    REQUIRED_SEND_FIELDS as REQUIRED_SEND_FIELDS,
    SEND_FIELDS as SEND_FIELDS,
    STATS_FIELDS as STATS_FIELDS,
)

from kmsg_authoring.model.api import (
    ErrorCode as ErrorCode,
    FIELD_TYPES as FIELD_TYPES,
    POLL_INTERVALS as POLL_INTERVALS,
    REGIONS as REGIONS,
    REQUIRED_UNSUBSCRIBE_URI_FIELDS as REQUIRED_UNSUBSCRIBE_URI_FIELDS,
    RETRY_DELAYS as RETRY_DELAYS,
    UNSUBSCRIBE_URI_ADD_FIELDS as UNSUBSCRIBE_URI_ADD_FIELDS,
    UNSUBSCRIBE_URI_LIST_FILTERS as UNSUBSCRIBE_URI_LIST_FILTERS,
    UNSUBSCRIBE_URI_UPDATE_FIELDS as UNSUBSCRIBE_URI_UPDATE_FIELDS,
    region_url as region_url,
)

from kmsg_authoring.model.toolkit import (
    CONFIG_FILE as CONFIG_FILE,
    PREVIEW_PORT as PREVIEW_PORT,
    SANDBOX_PORT as SANDBOX_PORT,
    SANDBOX_URL as SANDBOX_URL,
    TEMPLATE_FILE as TEMPLATE_FILE,
)
