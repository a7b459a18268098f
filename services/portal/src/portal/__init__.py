"""Portal service. The client portal: reports, support plans, measurements, appointments, representatives."""
