"""Reading a grants repository: files -> strict YAML -> validated data -> model.

``files`` keeps every path inside the root, ``yamldoc`` parses strictly with positions,
``schemas`` validates against the bundled JSON Schemas, ``workspace`` builds the model.
"""
