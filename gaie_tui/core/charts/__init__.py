"""Charts: references, archives and what is derived from them (keys, types, defaults, template
reads), the knowledge store (bundled → local → cache → upstream pull), layouts per version, schema, docs."""
