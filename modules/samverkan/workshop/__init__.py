"""Workshop mode: a room of participants answering in Voila apps, a facilitator's live view, a report.

* :mod:`.store`: sessions, anonymous participants and answers (SQLAlchemy; SQLite or PostgreSQL).
* :mod:`.server`: ``samverkan serve``: Voila with a Swedish start page, join page and preheated kernels.
* :mod:`.participant`: the participant app (kept lean: no pandas or matplotlib).
* :mod:`.dashboard`: the facilitator's dashboard (behind the facilitator key).
* :mod:`.summary`: answers counted per question, charts and CSV, shared by dashboard and report.
* :mod:`.report`: ``samverkan report SESSION``: a papermill notebook to one HTML file.
"""
