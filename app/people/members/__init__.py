"""Party members (党员): memberships of people, placed at their branch (党支部)."""
