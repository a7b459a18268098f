"""Everything about one client in the portal: access rules, profile, reports, plans, appointments, measurements."""
