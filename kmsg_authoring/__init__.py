"""kmsg-author: author, validate, preview and publish Kaltura Messaging API email templates."""

__version__ = "0.1.0"
