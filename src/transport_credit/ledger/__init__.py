"""The 信用交通省 work ledger (创建工作台账): tasks, their due months and responsible units, monthly progress."""
