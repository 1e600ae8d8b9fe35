"""The realtime service: the WebSocket side of the platform, served by Daphne.

It is the ASGI deployable of the same Django codebase as the api service (config.asgi), speaking
the protocol of docs/websocket.md on /ws/v1/.
"""
