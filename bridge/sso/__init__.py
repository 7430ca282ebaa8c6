"""Client-area SSO: the bridge's own one-time links, turned into an Otwa login at the click.

A panel asks for a link (``sso_link`` hook); the customer may click it minutes later. The
click verifies the signed token (:mod:`.tokens`), spends its id exactly once (:mod:`.spent`),
re-checks the service, mints a fresh Otwa URL through an injected callable, checks that URL
points at Otwa (:mod:`.redirects`) and redirects; every refusal is a branded HTML page
(:mod:`.pages`, :mod:`.branding`). :func:`.blueprint.create_blueprint` wires it for Flask.

Nothing here reads settings: every value and collaborator is passed in.
"""
