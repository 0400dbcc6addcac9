"""The offline-sync protocol, free of Flask and the database: cursors, mutation checks and merge rules.

See PROTOCOL.md beside this file. The server's endpoints (server/sync_api) are a
thin layer that stores what these functions decide.
"""
