"""Vans: depot, shift, break, driving limit, equipment and days off."""
