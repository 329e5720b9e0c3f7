"""The monthly report (信用交通月报) and the indicators the platform measures itself."""
