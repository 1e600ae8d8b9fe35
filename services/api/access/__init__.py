"""Who may see and do what. Every check of the platform goes through the functions here."""
