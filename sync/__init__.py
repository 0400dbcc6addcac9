"""The offline-sync protocol, free of Flask and the database: `protocol` (cursors, limits,
fingerprints), `decide` (what a push does with each mutation, what a pull page holds) and `merge`
(the field merge and the clock rule).

See PROTOCOL.md beside this file. The server's endpoints (server/sync_api) read the facts these
functions need, ask them, and carry out what they decide.
"""
