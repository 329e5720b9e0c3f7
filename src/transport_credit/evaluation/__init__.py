"""Credit evaluation (信用评价): models as versioned data, a set-based engine, results and the national composite."""
