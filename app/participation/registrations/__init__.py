"""双报到: members' registrations (报到) with their home and linked communities."""
