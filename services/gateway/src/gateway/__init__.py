"""Gateway service. Identity (BankID, SITHS, password + SMS code), sessions, roles, routing to the services, login audit."""
