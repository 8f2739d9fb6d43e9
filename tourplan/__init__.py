"""tourplan: plan the tours of an itinerant digital-inclusion van.

The domain package: problem and plan, travel, calendar rules, the optimiser and
its checker, iCalendar and map builders, data import.  It never imports Flask.
"""

from tourplan.plan import Plan, load_plan
from tourplan.problem import Problem, ProblemError, load_problem

__all__ = ["Plan", "Problem", "ProblemError", "load_plan", "load_problem"]
