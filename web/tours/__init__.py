"""Tour versions (one per optimiser run), their visits, and the public stable visits."""
