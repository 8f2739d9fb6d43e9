"""The coverage API's objects as pydantic models: the OpenAPI document takes their JSON
schema (web/api/openapi.py), and the endpoint builds its answer through them, so the
document and the answer cannot drift apart."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from web.coverage.operations import CommuneCoverage, Coverage


class CommuneCoverageOut(BaseModel):
    """One commune of the territory."""

    insee: str = Field(description="INSEE code of the commune")
    name: str
    population: int | None = Field(description="Municipal population (INSEE); null when unknown")
    visits_held: int = Field(ge=0, description="Published visits of the period already held (before today)")
    visits_planned: int = Field(ge=0, description="Published visits of the period still to come")
    visits_per_1000: float | None = Field(description="(held + planned) × 1000 / population; null without population")
    days_since_last_visit: int | None = Field(description="Days since the last visit of any season; null: never")
    nearest_place_km: float | None = Field(
        description="Distance to the nearest fixed place of digital help (France services, médiathèque, EPN), "
                    "straight line unless distance_method says otherwise; null: no place known")
    need_score: float = Field(ge=0, le=100, description="Need score, 0 to 100 (formula in the coverage page)")


class CoverageOut(BaseModel):
    """Coverage of a season's territory: one object per imported commune."""

    season: str
    period_start: date
    period_end: date
    distance_method: str = Field(description="How nearest_place_km is measured (« à vol d'oiseau », « par la route »)")
    weights: dict[str, int] = Field(description="Weights of the need score: far, stale, people")
    communes: list[CommuneCoverageOut]


def commune_out(row: CommuneCoverage) -> CommuneCoverageOut:
    return CommuneCoverageOut(**{name: getattr(row, name) for name in CommuneCoverageOut.model_fields})


def coverage_out(slug: str, cov: Coverage) -> CoverageOut:
    w = cov.weights
    return CoverageOut(season=slug, period_start=cov.start, period_end=cov.end, distance_method=cov.distance_method,
                       weights={"far": w.far, "stale": w.stale, "people": w.people},
                       communes=[commune_out(r) for r in cov.rows])
