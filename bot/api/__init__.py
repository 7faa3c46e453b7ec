"""The HTTP API for cash registers and CRMs (`/v1`, described by `openapi.json`).

An interface layer like `handlers/`: it parses and validates requests, calls the domain
services and renders JSON. Runs inside the bot when API_PORT is set, or alone as
`python -m bot api`.
"""
