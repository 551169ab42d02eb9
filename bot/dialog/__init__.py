"""The channel-neutral dialog core: messages, router, context and engine."""
