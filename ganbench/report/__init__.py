"""The HTML report: ``page.build`` writes it, ``plots`` draws its pictures."""
