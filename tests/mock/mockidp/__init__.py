"""A mock Amazon Cognito user pool for pam_cognito's tests.

Standard library only. `server` holds the HTTPS server and the three
registries (operations, control endpoints, fault kinds); every
`ops_*.py` module is imported at start-up and registers what it adds.
See ../README.md for the contract other tests rely on.
"""
