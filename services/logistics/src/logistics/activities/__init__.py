"""Work orders on aids (LG-14: activities), deviations and complaints (LG-15), and their attachments."""
