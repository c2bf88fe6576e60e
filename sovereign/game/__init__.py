"""A game in progress: seats, turn order, hot seat, autosave, the actions a seat can take.

No pygame and no web here: the desktop game (`sovereign.ui`) and the classroom server
(`sovereign.web`) drive the same `GameSession` and the same command validator, so a refusal reads
the same on a phone as in the window.
"""
