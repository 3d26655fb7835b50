"""微心愿: residents' small wishes, claimed and fulfilled by members, teams and units."""
