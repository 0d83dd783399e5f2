"""A template's msgParamsMap and payload in, its token contract out: the schema, what changed, as text.

`schema.py` builds the JSON Schema of the msgParams a sender passes (from the msgParamsMap alone) and
checks a request against it; `template.py` adds what the template's texts tell (where each token is
used, the User fields and inline images it needs) and classifies changes between two contracts;
`formats.py` writes a contract as JSON Schema, Markdown or TypeScript.
"""
