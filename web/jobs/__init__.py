"""Background planning jobs: export a season, solve it, import the plan as a draft.

A worker thread of the app by default; an RQ queue when ``TOURPLAN_REDIS_URL`` is set.
Both backends keep the job's state and progress in the database (``PlanningJob``), so
pages and the API report them the same way.
"""
