"""Council messages and unit announcements: composing, scheduling and paced, crash-safe sending."""
