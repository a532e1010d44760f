"""Account pages, one module per area; thin: forms parse, services write."""
