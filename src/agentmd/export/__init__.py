"""The plan written out for people: one Markdown page (`export checklist`)."""
