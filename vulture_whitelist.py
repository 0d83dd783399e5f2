"""Names vulture cannot see used, each reviewed: hooks that a framework calls by name, and API facts.

`vulture` (configured in pyproject.toml) reads this file beside the package and the tests; a name that
is really unused must be removed from the code, not added here.
"""

# ruff: noqa: B018, F821
# http.server and socketserver call these by name (the preview, the sandbox, the tests' stub server).
_.do_GET
_.do_HEAD
do_DELETE
do_PATCH
do_PUT
_.log_message
_.close_connection
_.address_family
protocol_version
server_version
sys_version
daemon_threads
# watchdog calls on_any_event; Jinja's loader and sandbox read these names.
_.on_any_event
_.get_source
_.visit_Concat
code_generator_class
intercepted_binops
# Selenium and Marionette read these option attributes.
_.page_load
_.binary_location
# Signatures fixed by their callers: a signal handler, a context manager's __exit__, module __getattr__.
signum
exc_type
__getattr__
# The Can I email data's fields, loaded as they are shipped.
category
tested
# API facts from the guide: every value of its enumerations, whether or not the toolkit branches on it.
CANCELED
PROCESSED
DEFERRED
DISABLED
USER_UNSUBSCRIBED
MAGIC_LINK_FAILED
UNSUBSCRIBE_URI_FAILED
JWT_QR_CODE_FAILED
PROVIDER_ERROR
NO_ACTIVE_GROUPS
SOME_GROUPS_EMPTY
# pytest reads these by name (and fixtures asked for their effect alone); MkDocs calls its hooks by name.
pytestmark
fresh_worker
on_files
# hypothesis runs a state machine's teardown, and pytest collects its TestCase by the name it is given.
_.teardown
test_build_is_the_truth
