"""The operator's catalogue of activities a van can bring."""
