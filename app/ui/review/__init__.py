"""The market manager's review tab: app/ui/review/panel.py (the queue and the differences of a submission)."""
