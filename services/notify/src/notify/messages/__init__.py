"""Messages: templates and rendering, the event → message table, queuing and the delivery log."""
