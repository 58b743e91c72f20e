"""The domain on ZODB: resources, catalogues, accounts, audit, evolve steps.

Public entry points: `resources` (the tree), `operations` (audited writes and
reads), `identifiers` (validation), `audit`, `evolve`, `db` (opening storage
from zodburi settings). Nothing here imports the web layer (views/)."""
