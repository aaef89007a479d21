"""Autoscaling: HorizontalPodAutoscalers (hpa.py) and the KEDA queue scaler (keda.py)."""
