"""Who sees and does what in service conduct (one policy per model)."""
