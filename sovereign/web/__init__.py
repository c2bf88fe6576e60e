"""The classroom server: teams on their own devices, a teacher's console, a projector view.

`Lesson` (lesson.py) is the classroom's rules on top of the game session; `create_app` (app.py)
serves them as a Starlette ASGI app with local pages (static/); `sovereign classroom` runs it.
"""
