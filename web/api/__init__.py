"""JSON API under ``/api/v1`` (requests, seasons, tour versions, plan jobs) and its OpenAPI document."""
