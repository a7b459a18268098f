"""Identity (GW-1..GW-9): accounts and roles, BankID and SITHS stubs, password + SMS code, temporary
passwords, terms, representatives, tokens (access + rotating refresh), logout, and the login audit."""
