"""The operators' planning desk: plan jobs, draft review, locks and hand moves, publish, print."""
