"""OAuth 2.1 authorization server: a bare `/mcp` URL for clients that cannot hold a secret URL.

The login page is our key-paste page (the consent page), the SDK's handlers do the protocol
(authorize, token, register, revoke, metadata), and `OAuthProvider` keeps the state in the
database so any replica can serve any step.
"""
