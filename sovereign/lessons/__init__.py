"""Classroom lessons: scenarios with a `lesson:` section (teams, role sheets, forms, teacher notes).

`handouts` renders a lesson's printable role sheets and teacher notes; `calibrate` plays it with
the AI in every seat to measure how often each objective is met (a lesson must be winnable and
losable: docs/teaching.md). Nothing here imports pygame.
"""
