"""The REST API of the forecasting app: quotas and the dashboard's forecast summary."""
