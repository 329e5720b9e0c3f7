"""信易+ scenarios (守信激励应用场景): who qualifies, where they run, what they granted."""
