"""信用提醒服务: short messages to applicants and subscribed subjects (outbox, channels, subscriptions)."""
