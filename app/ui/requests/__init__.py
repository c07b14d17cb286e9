"""Export requests (导出申请): the request dialog (``dialog.py``) and the list of requests with approve
and refuse (``view.py``, Archive → Export requests…)."""
